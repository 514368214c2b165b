"""Alert delivery by a real scheduler process on the demo market: slow and failing receivers
never hold up quote fetching, and a scheduler killed between storing events and delivering
them delivers each event exactly once after a restart."""

import contextlib
import itertools

import pytest
from sqlalchemy import select

from stockmon.domain import notify
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.db import make_engine
from stockmon.domain.models import AlertDelivery, AlertEvent, PriceHistory, utcnow
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import save_picks
from stockmon.scheduler import delivery
from tests.conftest import add_user, subprocess_environment
from tests.faults.test_processes import (  # noqa: F401
    Schedulers,
    schedulers,
    wait_for,
)
from tests.receivers import Receiver, receiving

pytestmark = pytest.mark.usefixtures("local_receivers_allowed")  # 127.0.0.1 receivers


def demo_env(database_url: str) -> dict[str, str]:
    return subprocess_environment(
        STOCKMON_DATABASE_URL=database_url,
        STOCKMON_PROVIDER="demo",
        STOCKMON_NOTIFY_ALLOW_PRIVATE="true",  # the receivers are on 127.0.0.1
        STOCKMON_REFRESH_SECONDS="1",
        STOCKMON_LEADER_LEASE_SECONDS="3",
    )


def test_slow_and_failing_receivers_never_delay_fetching(database_url, schedulers):  # noqa: F811
    engine = make_engine(database_url)
    prepare_database(engine)
    user_id = add_user(engine)
    save_picks(engine, user_id, ["AAPL"])
    with (
        receiving(Receiver(plan=["hang"], hang_seconds=30)) as hanging,
        receiving(Receiver(plan=[500, 200])) as flaky,
        receiving() as healthy,
    ):
        for receiver in (hanging, flaky, healthy):
            notify.add_channel(engine, user_id, receiver.json_url())
        create_rule(engine, user_id, "AAPL", "above", 1)  # the first quote fires it
        schedulers.start(demo_env(database_url))
        wait_for(lambda: hanging.attempts >= 1)  # a send hangs from here on
        hang_began = utcnow()

        def cycles_since_hang() -> list:
            with engine.connect() as conn:
                return (
                    conn.execute(
                        select(PriceHistory.ts)
                        .where(PriceHistory.symbol == "AAPL", PriceHistory.ts >= hang_began)
                        .order_by(PriceHistory.ts)
                    )
                    .scalars()
                    .all()
                )

        times = wait_for(lambda: (found := cycles_since_hang()) and len(found) >= 5 and found)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert max(gaps) < notify.SEND_TIMEOUT / 2  # fetching went on while a send hung
        wait_for(lambda: len(flaky.received) == 1, timeout=90)  # retried after its 500
        assert flaky.attempts == 2 and len(healthy.received) == 1
    with engine.connect() as conn:
        assert len(conn.execute(select(AlertEvent.id)).all()) == 1  # once per crossing
    engine.dispose()


def test_events_stored_before_a_crash_are_delivered_once_after_it(
    database_url,
    schedulers,  # noqa: F811
):
    engine = make_engine(database_url)
    prepare_database(engine)
    user_id = add_user(engine)
    save_picks(engine, user_id, ["AAPL", "MSFT"])
    with receiving(Receiver(plan=["hang"], hang_seconds=30)) as receiver:
        notify.add_channel(engine, user_id, receiver.json_url())
        for symbol in ("AAPL", "MSFT"):  # every quote is above 1: each fires at once
            create_rule(engine, user_id, symbol, "above", 1)
        first = schedulers.start(demo_env(database_url))

        def events_stored():
            with engine.connect() as conn:
                return len(conn.execute(select(AlertEvent.id)).all()) == 2

        wait_for(events_stored)
        wait_for(lambda: receiver.attempts >= 1)  # a delivery is in flight, unconfirmed
        first.kill()
        first.wait(timeout=10)
        assert receiver.received == []
        receiver.plan[:] = [200]
        schedulers.start(demo_env(database_url))

        def all_delivered():
            with engine.connect() as conn:
                states = conn.execute(select(AlertDelivery.state)).scalars().all()
            return len(states) == 2 and set(states) == {"delivered"}

        wait_for(all_delivered, timeout=90)
        titles = sorted(message["title"] for message in receiver.received)
    assert titles == ["stockmon: AAPL price above 1.00", "stockmon: MSFT price above 1.00"]
    engine.dispose()


def test_ten_dead_channels_of_one_person_hold_back_no_one_else(
    database_url,
    schedulers,  # noqa: F811
):
    """ann: ten channels on hosts that never answer and twenty rules firing at the first quote
    (two hundred deliveries); bob: one healthy webhook. bob's alert arrives while ann's first
    sends still hang (none of them has reached its timeout yet), and ann never holds more
    than her share of the scheduler's senders."""
    engine = make_engine(database_url)
    prepare_database(engine)
    ann, bob = add_user(engine, "ann"), add_user(engine, "bob")
    save_picks(engine, ann, ["AAPL"])
    save_picks(engine, bob, ["AAPL"])
    dead = [Receiver(plan=["hang"], hang_seconds=120) for _ in range(notify.MAX_CHANNELS)]
    with contextlib.ExitStack() as stack:
        for receiver in dead:
            stack.enter_context(receiving(receiver))
            notify.add_channel(engine, ann, receiver.json_url())
        healthy = stack.enter_context(receiving())
        notify.add_channel(engine, bob, healthy.json_url())
        for threshold in range(1, 21):  # every demo quote of AAPL is above these
            create_rule(engine, ann, "AAPL", "above", threshold)
        create_rule(engine, bob, "AAPL", "above", 1)
        schedulers.start(demo_env(database_url))

        def tried() -> list:
            with engine.connect() as conn:
                return conn.execute(
                    select(AlertDelivery.attempts).where(AlertDelivery.attempts > 0)
                ).all()

        wait_for(lambda: healthy.received, timeout=120)
        # the send is recorded just after it lands: wait for that, not only for the message
        wait_for(lambda: tried(), timeout=30)
        assert tried() == [(1,)]  # bob's, delivered; none of ann's sends has given up yet
        assert sum(receiver.attempts for receiver in dead) <= delivery.PER_PERSON
    engine.dispose()
