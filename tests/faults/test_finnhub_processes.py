"""Real scheduler processes on Finnhub against the fake REST API and trade stream: quotes and
streamed trades reach the database, and only the leader streams."""

from __future__ import annotations

import signal
import time

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from stockmon.domain.db import make_engine
from stockmon.domain.models import STREAM_STATE, Quote, SchedulerState, Symbol, utcnow
from stockmon.domain.search import request_search
from tests.conftest import subprocess_environment
from tests.fake_finnhub import serve_finnhub
from tests.faults.test_processes import LEASE, Schedulers, wait_for

INTERVAL = 1  # seconds between cycles
TRACKED = "AAPL,MSFT,ASML.AS"  # a foreign listing is polled, never streamed


def finnhub_env(database_url: str, fake, **extra: str) -> dict[str, str]:
    """Every stockmon, Alpha Vantage and Finnhub variable set here, none inherited."""
    return subprocess_environment(
        **{
            "STOCKMON_DATABASE_URL": database_url,
            "STOCKMON_PROVIDER": "finnhub",
            "STOCKMON_SYMBOLS": "AAPL,MSFT",
            "STOCKMON_REFRESH_SECONDS": str(INTERVAL),
            "STOCKMON_LEADER_LEASE_SECONDS": str(LEASE),
            "STOCKMON_MARKET_HOURS": "false",
            "FINNHUB_API_KEY": fake.api_key,
            "FINNHUB_BASE_URL": fake.url,
            "FINNHUB_WS_URL": fake.stream.url,
            "FINNHUB_TIMEOUT_SECONDS": "5",
        }
        | extra
    )


def price(engine, symbol: str) -> float | None:
    """The stored price; None also before the scheduler has made the tables."""
    try:
        with Session(engine) as session:
            quote = session.get(Quote, symbol)
    except DBAPIError:
        return None
    return quote.price if quote else None


def currency(engine, symbol: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(Symbol.currency).where(Symbol.symbol == symbol)).scalar()


def stream_state(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(SchedulerState.value).where(SchedulerState.key == STREAM_STATE)
        ).scalar()


def test_a_scheduler_polls_and_streams_and_keeps_the_key_out_of_its_log(database_url, tmp_path):
    with serve_finnhub() as fake:
        fake.prices.update(AAPL=200.0, MSFT=400.0)
        schedulers = Schedulers(tmp_path)
        engine = make_engine(database_url)
        try:
            schedulers.start(finnhub_env(database_url, fake, STOCKMON_SYMBOLS=TRACKED))
            wait_for(lambda: price(engine, "AAPL") == 200.0 and price(engine, "MSFT") == 400.0)
            request_search(engine, "asml", utcnow())  # finds ASML.AS, tracked but not described
            with Session(engine) as session:
                quote = session.get(Quote, "AAPL")
            assert quote.data_class == "real-time" and quote.market_time is not None
            stream = fake.stream
            assert stream.wait_for(lambda: stream.subscribed() == {"AAPL", "MSFT"}, 60)
            # each trade until it lands: a poll of /quote may write over the first one
            wait_for(lambda: stream.trade("AAPL", 201.25) and price(engine, "AAPL") == 201.25)
            wait_for(lambda: stream_state(engine) == "connected", timeout=30)
            wait_for(lambda: currency(engine, "ASML.AS") == "EUR", timeout=60)  # its profile
        finally:
            schedulers.stop_all()
            engine.dispose()
        log = (tmp_path / "scheduler-0.log").read_text()
        assert "trade stream connected" in log
        assert fake.api_key not in log
        assert all(r.query_token == "" for r in fake.received)


def test_a_deposed_leader_stops_streaming_within_one_interval(postgres_url, tmp_path):
    with serve_finnhub() as fake:
        fake.prices.update(AAPL=200.0, MSFT=400.0)
        stream = fake.stream
        schedulers = Schedulers(tmp_path)
        try:
            first = schedulers.start(finnhub_env(postgres_url, fake))
            assert stream.wait_for(lambda: stream.connections() == 1, 60)
            second = schedulers.start(finnhub_env(postgres_url, fake))
            schedulers.wait_standing_by(second)
            assert stream.connects == 1  # the standby does not stream

            first.send_signal(signal.SIGSTOP)  # frozen with its stream open
            assert stream.wait_for(lambda: stream.connects == 2, 30 + LEASE)  # the standby leads
            first.send_signal(signal.SIGCONT)
            thawed = time.monotonic()
            # the thawed one finds its lease gone and closes its stream within an interval
            assert stream.wait_for(lambda: stream.connections() == 1, 30)
            assert time.monotonic() - thawed <= LEASE + INTERVAL + 5  # a loaded machine's slack
        finally:
            schedulers.stop_all()
