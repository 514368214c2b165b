"""Two trading days against a fake Alpha Vantage that gives every kind of bad answer, in one run.

Each symbol answers well, then twice with its fault, then well again. The server counts what
it really received; the test compares that with the configured limits.
"""

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, select
from sqlmodel import Session

from stockmon.domain.models import FetchStatus, Quote
from stockmon.scheduler.budget import Limits
from tests.conftest import SLOW_ANSWER, av_refresher, to_next_cycle
from tests.fake_alphavantage import BEHAVIOURS

FAULTS = [b for b in BEHAVIOURS if b not in ("ok", "premium_sample")]
LIMITS = Limits(per_minute=5, per_day=300)
MONDAY_OPEN = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def every_stored_text(engine) -> str:
    """Every value in every table, as one text to search."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        rows = [row for table in metadata.sorted_tables for row in conn.execute(select(table))]
    return "\n".join(repr(tuple(row)) for row in rows)


def test_days_of_every_fault(engine, fake_av, clock, caplog):
    caplog.set_level(logging.DEBUG)
    fake_av.slow_seconds = SLOW_ANSWER  # past the client's timeout
    fake_av.now = lambda: clock().timestamp()
    symbols = [f"F{i:02d}" for i in range(len(FAULTS))]
    for index, (symbol, fault) in enumerate(zip(symbols, FAULTS, strict=True)):
        fake_av.script[symbol] = ["ok", fault, fault, "ok"]
        fake_av.prices[symbol] = 100.0 + index
    clock.current = MONDAY_OPEN
    refresher = av_refresher(engine, fake_av, clock, symbols, LIMITS)

    failed, blocks = set(), 0
    # Monday and Tuesday, a cycle every 2 minutes in the sessions: the day-long blocks
    # (daily limit) pass
    while clock() < MONDAY_OPEN + timedelta(days=2):
        summary = refresher.run_cycle()  # never raises, whatever the server says
        failed |= summary.errors.keys()
        blocks += summary.blocked_until is not None
        with Session(engine) as session:  # a good quote is never overwritten by a fault
            for quote in session.exec(select(Quote)).scalars():
                assert quote.price == fake_av.prices[quote.symbol]
        to_next_cycle(clock, minutes=2)

    assert fake_av.over_limits(LIMITS.per_minute, LIMITS.per_day) == 0
    unserved = {s: v for s, v in fake_av.script.items() if v != ["ok"]}
    assert not unserved
    refusals = {
        "note", "note_key", "information", "information_key", "burst", "unknown_information",
        "badkey", "http429", "http429_bare",
    }  # fmt: skip
    assert blocks >= 2 * len(refusals) - 2  # a refusal may end the block of the one before
    per_symbol = {symbol for symbol, fault in zip(symbols, FAULTS, strict=True)}
    per_symbol -= {s for s, f in zip(symbols, FAULTS, strict=True) if f in refusals}
    assert per_symbol <= failed  # each symbol's own failure was recorded...
    with Session(engine) as session:
        quotes = {q.symbol: q for q in session.exec(select(Quote)).scalars()}
        statuses = {s.symbol: s for s in session.exec(select(FetchStatus)).scalars()}
    for symbol, fault in zip(symbols, FAULTS, strict=True):
        status = statuses[symbol]
        if fault == "premium":  # a listing our plan does not cover is left alone for a day
            assert status.retry_after - status.last_attempt_at >= timedelta(hours=24)
            continue
        assert status.last_error is None, (symbol, status.last_error)  # a later good answer
        assert quotes[symbol].fetched_at > MONDAY_OPEN
    assert fake_av.api_key not in caplog.text
    assert fake_av.api_key not in every_stored_text(engine)
