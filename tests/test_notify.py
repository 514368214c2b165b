"""Alert delivery through Apprise to local receivers, on SQLite and PostgreSQL."""

import contextlib
import logging
import time

import pytest
from sqlalchemy import select
from sqlmodel import Session

from stockmon.domain import notify
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.models import AlertDelivery
from stockmon.scheduler import delivery
from tests.conftest import quote_arrives
from tests.receivers import Receiver, mailbox, receiving

pytestmark = pytest.mark.usefixtures("local_receivers_allowed")  # 127.0.0.1 receivers


def fire(engine, user_id, note: str = "") -> None:
    create_rule(engine, user_id, "AAPL", "above", 200, note=note)
    assert quote_arrives(engine, "AAPL", 201.5) == 1


def deliveries(engine) -> list[AlertDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(AlertDelivery)).scalars())


def test_an_alert_reaches_a_json_webhook_once(engine, user_id, caplog):
    caplog.set_level(logging.DEBUG)
    with receiving() as receiver:
        url = receiver.json_url().replace("json://", "json://hook-user:hook-pass@")
        shown = notify.add_channel(engine, user_id, url)
        assert shown.startswith(f"json://127.0.0.1:{receiver.port} · #")
        assert "hook-pass" not in shown and "hook-user" not in shown
        fire(engine, user_id, note="<script>x</script>")
        assert delivery.deliver_due(engine) == 1
        assert delivery.deliver_due(engine) == 0  # delivered once, never again
    (message,) = receiver.received
    assert message["title"] == "stockmon: AAPL price above 200.00"
    assert "201.50" in message["message"] and "<script>x</script>" in message["message"]
    assert [d.state for d in deliveries(engine)] == ["delivered"]
    assert "hook-pass" not in caplog.text


def test_an_alert_arrives_by_email_through_a_local_smtp_server(engine, user_id, caplog):
    caplog.set_level(logging.DEBUG)
    with mailbox() as box:
        shown = notify.add_channel(engine, user_id, box.url())
        assert box.password not in shown
        fire(engine, user_id, note="sell half")
        assert delivery.deliver_due(engine) == 1
    (message,) = box.messages
    assert message["Subject"] == "stockmon: AAPL price above 200.00"
    assert message["To"] == "ann@example.com"
    text = message.get_body(preferencelist=("plain", "html")).get_content()
    assert "201.50" in text and "Note: sell half" in text
    assert [d.state for d in deliveries(engine)] == ["delivered"]
    assert box.password not in caplog.text


def test_a_server_error_is_retried_and_delivered_once(engine, user_id):
    with receiving(Receiver(plan=[500, 200])) as receiver:
        notify.add_channel(engine, user_id, receiver.json_url())
        fire(engine, user_id)
        assert delivery.deliver_due(engine) == 0
        (pending,) = deliveries(engine)
        assert pending.state == "pending" and pending.attempts == 1 and pending.last_error
        assert delivery.deliver_due(engine) == 0  # not yet: it waits before retrying
        later = pending.next_attempt_at
        assert delivery.deliver_due(engine, now=lambda: later) == 1
    assert len(receiver.received) == 1 and receiver.attempts == 2
    assert [d.state for d in deliveries(engine)] == ["delivered"]


def test_a_hanging_endpoint_delays_nobody_else(engine, user_id):
    with (
        receiving(Receiver(plan=["hang"], hang_seconds=5)) as slow,
        receiving() as fast,
    ):
        notify.add_channel(engine, user_id, slow.json_url())
        notify.add_channel(engine, user_id, fast.json_url())
        fire(engine, user_id)
        started = time.monotonic()
        assert delivery.deliver_due(engine, timeout=1.0) == 1
        assert time.monotonic() - started < 4  # the hang cost its own timeout, not more
    assert len(fast.received) == 1
    states = sorted((d.state, d.last_error or "") for d in deliveries(engine))
    assert states[0][0] == "delivered" and states[1][0] == "pending"


def test_a_dead_endpoint_gives_up_after_bounded_attempts(engine, user_id):
    with receiving(Receiver(plan=[500])) as receiver:
        notify.add_channel(engine, user_id, receiver.json_url())
        fire(engine, user_id)
        for _ in range(delivery.MAX_ATTEMPTS + 2):
            (item,) = deliveries(engine)
            moment = item.next_attempt_at
            delivery.deliver_due(engine, now=lambda moment=moment: moment)
    (item,) = deliveries(engine)
    assert item.state == "failed" and item.attempts == delivery.MAX_ATTEMPTS
    assert receiver.attempts == delivery.MAX_ATTEMPTS


def test_urls_apprise_cannot_use_are_refused_without_repeating_them(engine, user_id):
    with pytest.raises(notify.ChannelError) as refused:
        notify.add_channel(engine, user_id, "nonsense://secret-token@x")
    assert "secret-token" not in str(refused.value)


def test_one_persons_dead_channels_hold_back_nobody_else(engine, user_id):
    """ann has ten channels on a host that never answers and twenty alerts firing (two
    hundred deliveries); bob's one alert to a healthy webhook is started at the first look,
    beside at most ``PER_PERSON`` of ann's sends."""
    from tests.conftest import add_user

    bob = add_user(engine, "bob")
    hanging = [Receiver(plan=["hang"], hang_seconds=30) for _ in range(notify.MAX_CHANNELS)]
    deliverer = delivery.Deliverer(engine, timeout=20.0)
    with contextlib.ExitStack() as stack:
        stack.callback(deliverer.close, wait=True)  # last: once the receivers have let go
        dead = [stack.enter_context(receiving(receiver)) for receiver in hanging]
        healthy = stack.enter_context(receiving())
        for receiver in dead:
            notify.add_channel(engine, user_id, receiver.json_url())
        notify.add_channel(engine, bob, healthy.json_url())
        for step in range(20):
            create_rule(engine, user_id, "AAPL", "above", 100 + step)
        create_rule(engine, bob, "AAPL", "above", 50)
        assert quote_arrives(engine, "AAPL", 150.0) == 21
        assert len(deliveries(engine)) == 201
        started = deliverer.start_due()
        assert len(started) == delivery.PER_PERSON + 1  # ann's share, and bob's
        wait_until(lambda: healthy.received, timeout=30)
        assert sum(receiver.attempts for receiver in dead) <= delivery.PER_PERSON
        assert deliverer.start_due() == []  # ann's share is busy: the rest wait their turn


def test_a_channel_failing_again_and_again_rests(engine, user_id):
    clock = [0.0]
    with receiving(Receiver(plan=[500])) as failing, receiving() as healthy:
        notify.add_channel(engine, user_id, failing.json_url())
        for step in range(delivery.BREAKER_FAILURES + 2):
            create_rule(engine, user_id, "AAPL", "above", 100 + step)
        assert quote_arrives(engine, "AAPL", 150.0) == delivery.BREAKER_FAILURES + 2
        deliverer = delivery.Deliverer(engine, timeout=5.0, clock=lambda: clock[0])
        try:
            for _ in range(delivery.BREAKER_FAILURES):
                (future,) = deliverer.start_due()
                assert future.result(timeout=30) is False
            assert failing.attempts == delivery.BREAKER_FAILURES
            assert deliverer.start_due() == []  # resting, though more are due
            notify.add_channel(engine, user_id, healthy.json_url())  # others are not held
            create_rule(engine, user_id, "MSFT", "above", 1)
            assert quote_arrives(engine, "MSFT", 2.0) == 1
            assert [f.result(timeout=30) for f in deliverer.start_due()] == [True]
            clock[0] += delivery.BREAKER_REST
            assert len(deliverer.start_due()) == 1  # rested: tried again
        finally:
            deliverer.close()


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s"
        time.sleep(0.05)
