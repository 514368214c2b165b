"""The app's shared Streamlit resources: settings, logging, the engine and its time limits,
database trouble, and the snapshot and listings every page reads, once per process.

The page's frame (navigation, the sidebar's scheduler line, time zones, the list switcher) is
``stockmon.app.frame``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from stockmon.app.queries import catalog
from stockmon.app.snapshot import MarketSnapshot, take_snapshot
from stockmon.domain import db_trouble, notify
from stockmon.domain.config import ConfigError, Settings, load_settings
from stockmon.domain.db import make_engine
from stockmon.domain.models import utcnow
from stockmon.domain.schema import prepare_database


@st.cache_resource(show_spinner=False)
def _settings() -> Settings:
    settings = load_settings()
    notify.configure(settings)  # the page's test sends obey the outbound guard
    return settings


def settings() -> Settings:
    """The validated settings, or a clear error on the page (and nothing else) when invalid."""
    try:
        return _settings()
    except ConfigError as error:
        st.error(f"stockmon cannot start: {error}")
        st.stop()
        raise


log = logging.getLogger("stockmon.app")
_statements = threading.local()


@st.cache_resource(show_spinner=False)
def _app_logging() -> None:
    """stockmon's own log lines in the app, at ``STOCKMON_APP_LOG_LEVEL``, on standard error."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    stockmon_log = logging.getLogger("stockmon")
    stockmon_log.addHandler(handler)
    stockmon_log.setLevel(settings().app_log_level)
    stockmon_log.propagate = False


@contextmanager
def timed(what: str) -> Iterator[None]:
    """Log at DEBUG how long ``what`` took and how many statements it sent to the database."""
    _statements.count = 0
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = (time.perf_counter() - started) * 1000
        log.debug("%s: %.1f ms, %d statements", what, elapsed, _statements.count)


def _count_statement(*_args: object) -> None:
    _statements.count = getattr(_statements, "count", 0) + 1


@st.cache_resource(show_spinner=False)
def engine():
    """One engine for every session of this process, its pool sized and each statement
    limited in time (``showing_database_trouble`` turns a cancelled one into a message);
    the schema is ready when it returns."""
    config = settings()
    migrating = make_engine(config.database_url)
    try:
        prepare_database(migrating)
        notify.seal_stored(migrating)
    except SQLAlchemyError as error:  # a full or read-only database still reads: show it
        trouble = db_trouble.sentence(error, migrating)
        log.error("the schema could not be checked at start-up: %s", trouble)
    finally:
        migrating.dispose()
    _app_logging()
    database = make_engine(
        config.database_url,
        statement_seconds=config.query_timeout_seconds,
        pool_size=config.db_pool_size,
        max_overflow=2 * config.db_pool_size,
        pool_timeout=config.query_timeout_seconds,
    )
    event.listen(database, "before_cursor_execute", _count_statement)
    return database


@contextmanager
def showing_database_trouble() -> Iterator[None]:
    """A statement past its time limit, or a database that does not answer, shows a message
    in place of the page (or of the part that refreshes), never a hung page or a traceback."""
    try:
        yield
    except (OperationalError, PoolTimeoutError) as error:
        trouble = db_trouble.trouble_of(error)
        what = (
            "The database did not answer in time"
            if trouble in (db_trouble.Trouble.BUSY, db_trouble.Trouble.OTHER)
            else f"The page cannot be read: {db_trouble.SENTENCES[trouble]}"
        )
        st.warning(
            f"{what}. This part of the page tries again at its next refresh; if it lasts, "
            "tell whoever runs stockmon.",
            icon=":material/hourglass_disabled:",
        )


@st.cache_data(ttl=5, show_spinner=False)
def database_trouble() -> db_trouble.Trouble | None:
    """What a look at the database shows is wrong for writers (a full disk, read-only), at
    most every 5 s for the whole process; asked only when the scheduler is late."""
    return db_trouble.probe(engine())


@st.cache_data(ttl=60, max_entries=4, show_spinner=False)
def _snapshot(period: int) -> MarketSnapshot:
    """One snapshot per process and refresh ``period`` (a number that changes each period),
    whatever the number of sessions asking."""
    return take_snapshot(engine(), utcnow())


def refresh_period() -> int:
    """A number that changes once per dashboard refresh interval."""
    return int(time.time() // settings().dashboard_refresh_seconds)


def market_snapshot() -> MarketSnapshot:
    """The shared snapshot of quotes, sparklines, heartbeat and alert counters, at most one
    dashboard refresh old."""
    return _snapshot(refresh_period())


def refresh_snapshot() -> None:
    """After a change the snapshot counts (alerts read), take the next one now."""
    _snapshot.clear()


@st.cache_data(ttl=3_600, show_spinner=False)
def _listings() -> dict[str, tuple[str, str]]:
    """Each catalog symbol's company name and currency (they change when the catalog does:
    read at most hourly)."""
    rows = catalog(engine())
    return {
        symbol: (name, currency)
        for symbol, name, currency in zip(
            rows["symbol"], rows["name"], rows["currency"], strict=True
        )
    }


def symbol_names() -> dict[str, str]:
    return {symbol: name for symbol, (name, _currency) in _listings().items()}


def symbol_currencies() -> dict[str, str]:
    return {symbol: currency for symbol, (_name, currency) in _listings().items()}
