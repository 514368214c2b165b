"""Shared fixtures: a database per test on SQLite and on PostgreSQL, and a fake Alpha Vantage."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from stockmon.domain.calendar import market
from stockmon.domain.db import make_engine
from stockmon.domain.models import ApiRequest
from stockmon.domain.schema import prepare_database
from stockmon.providers import AlphaVantageProvider
from stockmon.scheduler.budget import Limits, RequestBudget
from stockmon.scheduler.ingest import Refresher
from tests.fake_alphavantage import FakeAlphaVantage, serve
from tests.fake_finnhub import FakeFinnhub, serve_finnhub

GENEROUS = Limits(per_minute=1000, per_day=0)
TEST_SECRET_KEY = "test-secret-key-0123456789-0123456789-0123456789"

POSTGRES_URL = os.environ.get(
    "STOCKMON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_unavailable_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # any reason the server cannot be used
        return f"PostgreSQL not reachable at {make_url(POSTGRES_URL).render_as_string()}: {error}"
    return None


_PG_SKIP_REASON = _postgres_unavailable_reason()


@contextmanager
def _postgres_schema() -> Iterator[str]:
    """A URL on a PostgreSQL schema of its own, dropped afterwards (skips without a server)."""
    if _PG_SKIP_REASON:
        pytest.skip(_PG_SKIP_REASON)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Commits need not wait for the disk: no test survives a server crash, and a slow disk
    # would otherwise stretch every PostgreSQL test.
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    url = make_url(POSTGRES_URL).update_query_dict({"options": options})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'stockmon.db'}"
        return
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, for what only PostgreSQL can show (several hosts)."""
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    prepare_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_av() -> Iterator[FakeAlphaVantage]:
    with serve() as fake:
        yield fake


@pytest.fixture
def fake_fh() -> Iterator[FakeFinnhub]:
    with serve_finnhub() as fake:
        yield fake


def requests_counted(engine: Engine) -> int:
    """Requests the budget recorded, every try included."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ApiRequest)).scalar_one()


class Clock:
    """A controllable UTC clock for code that takes ``now=``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 14, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)

    def sleep(self, seconds: float) -> None:
        """A provider's wait between requests, passing on this clock."""
        self.current += timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return self.current.timestamp()


NEW_YORK = market("XNYS")


def to_next_cycle(clock: Clock, minutes: float, closed_minutes: float = 30) -> None:
    """Advance a simulated trading week to its next cycle: every ``minutes`` while New York
    trades; while it is closed every ``closed_minutes``, never past the next open. A paced
    budget has little to spend then, and each cycle is a dozen database round trips."""
    now = clock()
    step = timedelta(minutes=minutes)
    opens = None if NEW_YORK.is_open(now) else NEW_YORK.next_open(now)
    if opens is not None:
        step = max(step, min(timedelta(minutes=closed_minutes), opens - now))
    clock.current = now + step


def run_a_greedy_day(refresher: Refresher, clock: Clock) -> None:
    """A day of unpaced cycles (``scheduler.py --once`` run again and again): every minute
    for the first hour, while the per-minute limit holds them back, then every quarter hour."""
    start = clock()
    for minute in [*range(60), *range(60, 24 * 60, 15)]:
        clock.current = start + timedelta(minutes=minute)
        refresher.run_cycle(pace=False)
    clock.current = start + timedelta(days=1) - timedelta(minutes=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


# How long a client in a test waits for a fake server: a loaded two-core machine answers a
# local request well within it. A "slow" answer comes later than that, so it times out.
CLIENT_TIMEOUT = 3.0
SLOW_ANSWER = CLIENT_TIMEOUT + 1.5


def av_provider(
    engine: Engine, fake: FakeAlphaVantage, clock: Clock, limits: Limits = GENEROUS, **options
) -> tuple[AlphaVantageProvider, RequestBudget]:
    """Alpha Vantage on the fake server, and its budget, which counts every request at the
    transport; no waits between requests or retries."""
    budget = RequestBudget(engine, AlphaVantageProvider.name, limits, now=clock)
    options = {"timeout": CLIENT_TIMEOUT, "min_request_interval": 0, "retry_wait": 0} | options
    provider = AlphaVantageProvider(fake.api_key, fake.url, gate=budget.take, **options)
    return provider, budget


def av_refresher(
    engine: Engine,
    fake: FakeAlphaVantage,
    clock: Clock,
    symbols: list[str],
    limits: Limits = GENEROUS,
    **provider_options,
) -> Refresher:
    """A refresher on the fake server whose budget counts every request at the transport."""
    provider, budget = av_provider(engine, fake, clock, limits, **provider_options)
    return Refresher(engine, provider, budget, symbols, now=clock)


def add_user(engine: Engine, username: str = "ann") -> int:
    """A user row (no usable password) for tests of per-person data; its id."""
    from stockmon.domain.models import User, utcnow

    with engine.begin() as conn:
        return conn.execute(
            User.__table__.insert().returning(User.__table__.c.id),
            {
                "username": username,
                "name": username.title(),
                "email": f"{username}@example.com",
                "password_hash": "x",
                "created_at": utcnow(),
            },
        ).scalar_one()


@pytest.fixture
def user_id(engine: Engine) -> int:
    return add_user(engine)


def quote_arrives(engine: Engine, symbol: str, price: float, change_percent: float = 0.0) -> int:
    """Store a new quote of ``symbol`` and evaluate the alert rules on it, as a cycle does;
    the number of alerts it fired."""
    from stockmon.domain.db import upsert
    from stockmon.domain.models import Quote, utcnow
    from stockmon.scheduler.alert_evaluation import evaluate

    now = utcnow()
    row = {
        "symbol": symbol,
        "price": price,
        "open": price,
        "high": price,
        "low": price,
        "previous_close": price,
        "change": 0.0,
        "change_percent": change_percent,
        "volume": 1000,
        "latest_trading_day": now.date(),
        "fetched_at": now,
    }
    with engine.begin() as conn:
        upsert(conn, Quote.__table__, [row], keys=["symbol"])
        return evaluate(conn, [symbol], now)


def subprocess_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any stockmon, Alpha Vantage or Finnhub variable,
    plus ``settings``: a process started with it can never reach a real API."""
    providers = ("STOCKMON_", "ALPHA_VANTAGE_", "FINNHUB_")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(providers)}
    # blank, not absent: a key in a .env file where the process starts is not read either
    keys = {"ALPHA_VANTAGE_API_KEY": "", "FINNHUB_API_KEY": ""}
    # the test process and every process it starts open each other's notification URLs
    shared = {"STOCKMON_SECRET_KEY": TEST_SECRET_KEY}
    return environment | keys | shared | settings


@pytest.fixture(autouse=True)
def one_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test, and the app an AppTest builds, encrypts notification URLs with one key."""
    from stockmon.domain import notify
    from stockmon.domain.vault import Vault

    monkeypatch.setenv("STOCKMON_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setattr(notify, "_vault", Vault([TEST_SECRET_KEY]))


@pytest.fixture
def local_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Notifications may reach the tests' receivers on 127.0.0.1, as an admin's
    ``STOCKMON_NOTIFY_ALLOW_PRIVATE=true`` allows: in this process, and in an app or scheduler
    this test builds from the environment."""
    from stockmon.domain import notify
    from stockmon.domain.outbound import OutboundPolicy

    monkeypatch.setenv("STOCKMON_NOTIFY_ALLOW_PRIVATE", "true")
    monkeypatch.setattr(notify, "_policy", OutboundPolicy(allow_private=True))


@pytest.fixture(autouse=True)
def stockmon_logs_reach_caplog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app's logging setup (an AppTest's) sets stockmon's level and stops its records from
    propagating; every test starts with them reaching the root logger, where ``caplog``
    listens, at the level the test asks for."""
    import logging

    stockmon_log = logging.getLogger("stockmon")
    monkeypatch.setattr(stockmon_log, "propagate", True)
    monkeypatch.setattr(stockmon_log, "handlers", [])
    level = stockmon_log.level
    stockmon_log.setLevel(logging.NOTSET)  # setLevel, not the attribute: it clears the cache
    yield
    stockmon_log.setLevel(level)


def as_read(markdown: str) -> str:
    """What a person reads of a markdown element's text: its escapes undone (the app escapes
    every sentence that may hold people's words)."""
    return re.sub(r"\\(.)", r"\1", markdown)
