"""A scheduler killed between storing alert events and delivering them: after a restart each
event reaches the receiver exactly once."""

from sqlalchemy import select

from stockmon import notify
from stockmon.alerts import create_rule
from stockmon.db import make_engine
from stockmon.models import AlertDelivery, AlertEvent
from stockmon.schema import prepare_database
from stockmon.watchlists import save_picks
from tests.conftest import add_user, subprocess_environment
from tests.faults.test_processes import (  # noqa: F401
    Schedulers,
    schedulers,
    wait_for,
)
from tests.receivers import Receiver, receiving


def demo_env(database_url: str) -> dict[str, str]:
    return subprocess_environment(
        STOCKMON_DATABASE_URL=database_url,
        STOCKMON_PROVIDER="demo",
        STOCKMON_REFRESH_SECONDS="1",
        STOCKMON_LEADER_LEASE_SECONDS="3",
    )


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
