"""The read side on SQLite and PostgreSQL: quotes, series, fetch problems, the heartbeat, and
the snapshot every dashboard slices."""

import math
from datetime import timedelta

from stockmon.app.heartbeat import scheduler_status
from stockmon.app.queries import (
    catalog,
    fetch_problems,
    latest_quotes,
    price_history,
    sparklines,
)
from stockmon.app.snapshot import take_snapshot
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.db import upsert
from stockmon.domain.models import (
    LAST_CYCLE_AT,
    LAST_CYCLE_SUMMARY,
    LEADER,
    MARKET_HOURS,
    REFRESH_INTERVAL_SECONDS,
    FetchStatus,
    PriceHistory,
    Quote,
    SchedulerState,
    utcnow,
)
from tests.conftest import add_user, quote_arrives


def store(engine, symbol: str, price: float, minutes: int = 60) -> None:
    """A quote and an hour of minute history ending now."""
    now = utcnow()
    with engine.begin() as conn:
        upsert(
            conn,
            Quote.__table__,
            [{"symbol": symbol, "price": price, "open": price, "high": price + 1,
              "low": price - 1, "previous_close": price - 0.5, "change": 0.5,
              "change_percent": 0.5, "volume": 10, "latest_trading_day": now.date(),
              "fetched_at": now}],
            keys=["symbol"],
        )  # fmt: skip
        conn.execute(
            PriceHistory.__table__.insert(),
            [
                {"symbol": symbol, "ts": now - timedelta(minutes=m), "price": price - m / 100,
                 "volume": 1}
                for m in range(minutes)
            ],
        )  # fmt: skip


def test_latest_quotes_keep_pick_order_and_mark_the_waiting(engine):
    store(engine, "MSFT", 410.0)
    store(engine, "AAPL", 230.0)
    quotes = latest_quotes(engine, ["AAPL", "GME", "MSFT"])
    assert list(quotes["symbol"]) == ["AAPL", "GME", "MSFT"]
    assert quotes.iloc[0]["price"] == 230.0 and quotes.iloc[0]["name"] == "Apple Inc."
    assert math.isnan(quotes.iloc[1]["price"]) and quotes.iloc[1]["name"]
    assert quotes.iloc[2]["fetched_at"].tzinfo is not None


def test_series_are_sampled_in_the_database(engine):
    store(engine, "AAPL", 230.0)
    now = utcnow()
    lines = sparklines(engine, ["AAPL", "GME"], now - timedelta(hours=1), now, points=12)
    assert len(lines["AAPL"]) == 12 and lines["GME"] == []
    assert lines["AAPL"][-1] == 230.0 and lines["AAPL"] == sorted(lines["AAPL"])
    history = price_history(engine, ["AAPL"], now - timedelta(minutes=30), now, max_points=10)
    assert 5 <= len(history) <= 10 and set(history["symbol"]) == {"AAPL"}
    assert len(price_history(engine, ["AAPL"], None, now, max_points=400)) <= 400


def test_fetch_problems_and_the_heartbeat(engine):
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            FetchStatus.__table__.insert(),
            [
                {"symbol": "GME", "last_error": "no quote for GME (unknown symbol)",
                 "consecutive_failures": 3, "last_attempt_at": now},
                {"symbol": "AAPL", "last_error": None, "consecutive_failures": 0,
                 "last_attempt_at": now},
            ],
        )  # fmt: skip
        facts = {
            LAST_CYCLE_AT: now.isoformat(),
            LAST_CYCLE_SUMMARY: "cycle: 1 fetched",
            REFRESH_INTERVAL_SECONDS: "156",
            MARKET_HOURS: "true",
            LEADER: "host-1:42",
        }
        upsert(
            conn,
            SchedulerState.__table__,
            [{"key": k, "value": v, "updated_at": now} for k, v in facts.items()],
            keys=["key"],
        )
    assert fetch_problems(engine) == {"GME": "no quote for GME (unknown symbol)"}
    assert fetch_problems(engine, ["AAPL"]) == {}
    status = scheduler_status(engine)
    assert status.refresh_interval == timedelta(seconds=156) and status.market_hours
    assert (status.leader, status.last_cycle_summary) == ("host-1:42", "cycle: 1 fetched")
    assert abs((status.last_cycle_at - now).total_seconds()) < 1
    assert "AAPL" in set(catalog(engine)["symbol"])


def test_the_snapshot_is_sliced_per_person_with_their_own_counters(engine):
    store(engine, "AAPL", 230.0)
    store(engine, "MSFT", 410.0)
    ann, bob = add_user(engine, "ann"), add_user(engine, "bob")
    create_rule(engine, ann, "AAPL", "above", 200)
    quote_arrives(engine, "AAPL", 231.0)
    snapshot = take_snapshot(engine, utcnow())
    mine = snapshot.for_picks(["MSFT", "GME"], {"GME": "GameStop Corp."})
    assert list(mine.quotes["symbol"]) == ["MSFT", "GME"]
    assert list(mine.quotes["name"]) == ["Microsoft Corporation", "GameStop Corp."]
    assert set(mine.sparklines) == {"MSFT", "GME"} and "AAPL" not in mine.sparklines
    assert snapshot.alert_counts(ann).unannounced == 1 and snapshot.alert_counts(ann).unseen == 1
    assert snapshot.alert_counts(bob).unseen == 0
