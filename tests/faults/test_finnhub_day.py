"""A trading session against a fake Finnhub that gives every kind of bad answer, in one run, on
a simulated clock: the limits on the wire, the pace without a daily cap, 429 honoured, the key in
no stored byte."""

import itertools
import logging
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, func, select

from stockmon.domain.models import FetchStatus, Quote
from stockmon.providers.finnhub import FinnhubProvider
from stockmon.scheduler.budget import Limits, RequestBudget
from stockmon.scheduler.ingest import Refresher
from tests.conftest import CLIENT_TIMEOUT, SLOW_ANSWER, Clock
from tests.fake_finnhub import BEHAVIOURS, serve_finnhub
from tests.faults.test_day_of_faults import every_stored_text

FAULTS = [b for b in BEHAVIOURS if b not in ("ok", "unknown", "forbidden")]
FREE = Limits(per_minute=60, per_day=0, per_second=30)
CYCLE = timedelta(seconds=5)
TUESDAY_OPEN = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)


def refresher_on(engine, fake, clock: Clock, symbols) -> Refresher:
    fake.now = lambda: clock().timestamp()
    budget = RequestBudget(engine, FinnhubProvider.name, FREE, now=clock)
    provider = FinnhubProvider(
        fake.api_key,
        fake.url,
        gate=budget.take,
        timeout=CLIENT_TIMEOUT,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    return Refresher(engine, provider, budget, symbols, now=clock, cycle=CYCLE)


def recovered(engine) -> bool:
    """Every symbol's last answer was a good one."""
    with Session(engine) as session:
        failing = select(func.count()).where(col(FetchStatus.last_error).is_not(None))
        return session.exec(failing).one() == 0


def run_for(refresher: Refresher, clock: Clock, span: timedelta) -> list:
    summaries = []
    end = clock() + span
    while clock() < end:
        started = clock()
        summaries.append(refresher.run_cycle())
        clock.current = max(clock(), started + CYCLE)
    return summaries


def test_ten_symbols_refresh_every_ten_seconds_within_both_limits(engine):
    with serve_finnhub() as fake:
        clock = Clock(TUESDAY_OPEN + timedelta(hours=1))
        symbols = [f"S{i}" for i in range(10)]
        settled = clock().timestamp() + 70  # the first fetches of all ten come at once
        run_for(refresher_on(engine, fake, clock, symbols), clock, timedelta(minutes=4))
        assert fake.over_limits(FREE.per_minute, FREE.per_second) == 0
        for symbol in symbols:
            times = sorted(r.at for r in fake.received if r.symbol == symbol and r.at > settled)
            gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
            assert max(gaps) <= 10.5, (symbol, gaps)  # each symbol every 10 s
        assert len(fake.received) >= 230  # 4 minutes at 60 a minute


def test_a_session_of_every_bad_answer(engine, caplog):
    caplog.set_level(logging.DEBUG)
    with serve_finnhub() as fake:
        fake.slow_seconds = SLOW_ANSWER  # past the client's timeout
        symbols = [f"F{i:02d}" for i in range(len(FAULTS))]
        for index, (symbol, fault) in enumerate(zip(symbols, FAULTS, strict=True)):
            fake.script[symbol] = ["ok", fault, fault, "ok"]
            fake.prices[symbol] = 100.0 + index
        clock = Clock(TUESDAY_OPEN)
        refresher = refresher_on(engine, fake, clock, symbols)
        blocks = 0
        end = clock() + timedelta(hours=1)
        every_fault_served = False
        while clock() < end and not (every_fault_served and recovered(engine)):
            started = clock()
            summary = refresher.run_cycle()  # never raises, whatever the server says
            blocks += summary.blocked_until is not None
            with Session(engine) as session:  # a good quote is never overwritten by a fault
                for quote in session.exec(select(Quote)).all():
                    assert quote.price == fake.prices[quote.symbol]
            clock.current = max(clock(), started + CYCLE)
            every_fault_served = all(script == ["ok"] for script in fake.script.values())

        assert fake.over_limits(FREE.per_minute, FREE.per_second) == 0
        assert every_fault_served and recovered(engine)  # within the hour
        assert blocks >= 4  # two 401s and two 429s stopped their cycles
        with Session(engine) as session:
            stored = {q.symbol: q for q in session.exec(select(Quote)).all()}
        assert set(stored) == set(symbols)  # every symbol recovered
        assert all(q.data_class == "real-time" for q in stored.values())
        assert fake.api_key not in every_stored_text(engine)
        assert fake.api_key not in caplog.text
        assert all(not r.query_token for r in fake.received)


def test_a_429_pauses_the_provider_and_is_no_symbols_error(engine):
    with serve_finnhub() as fake:
        clock = Clock(TUESDAY_OPEN + timedelta(hours=1))
        refresher = refresher_on(engine, fake, clock, ["AAPL", "MSFT"])
        run_for(refresher, clock, timedelta(seconds=10))
        fake.default = "http429"
        summary = refresher.run_cycle()
        assert summary.blocked_until is not None and not summary.errors
        blocked_at, sent = clock(), len(fake.received)
        fake.default = "ok"
        run_for(refresher, clock, timedelta(seconds=75))
        resumed = min(r.at for r in fake.received[sent:])
        assert resumed >= blocked_at.timestamp() + 60  # a minute: the answer named no wait
