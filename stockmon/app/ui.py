"""The Streamlit side of stockmon: shared resources (settings, engine, the snapshot every
dashboard reads), the scheduler's line in the sidebar, time zones and page chrome.

With ``ui_login`` the only modules of the library that import Streamlit; pages call them and
the plain modules.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, timedelta, tzinfo
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from sqlalchemy import event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from stockmon.app.dashboard import scheduler_is_late, why_late
from stockmon.app.presentation import age_text, escape_markdown, provider_label
from stockmon.app.queries import SchedulerStatus, catalog
from stockmon.app.snapshot import MarketSnapshot, take_snapshot
from stockmon.domain import db_trouble, notify
from stockmon.domain.accounts import Account, known_timezone
from stockmon.domain.config import ConfigError, ProviderChoice, Settings, load_settings
from stockmon.domain.db import make_engine
from stockmon.domain.models import utcnow
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import ListInfo

ICON = Path(__file__).parent / "assets" / "icon.png"

PAGES = {
    "dashboard": "pages/dashboard.py",
    "picker": "pages/picker.py",
    "charts": "pages/charts.py",
    "alerts": "pages/alerts.py",
    "account": "pages/account.py",
    "positions": "pages/positions.py",
    "status": "pages/status.py",
    "login": "pages/login.py",
}


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


def scheduler_caption() -> None:
    """Which provider, and when the scheduler last ran: redrawn with the dashboard's refresh,
    judged by the same rule as the dashboard's banner."""

    @st.fragment(run_every=timedelta(seconds=settings().dashboard_refresh_seconds))
    def caption() -> None:
        with showing_database_trouble(), timed("sidebar refresh"):
            _scheduler_lines(market_snapshot().status)

    caption()


def _scheduler_lines(status: SchedulerStatus) -> None:
    # what the scheduler last reported using; before its first cycle, what it will use
    provider = status.provider or settings().effective_provider.value
    source = provider_label(provider)
    if status.plan and provider != ProviderChoice.DEMO.value:
        source += f" {status.plan}"
    if status.data_class is not None:
        source += f" · {status.data_class} prices"
    st.caption(f"Quotes: {source}")
    if provider == ProviderChoice.DEMO.value:
        st.caption("Set ALPHA_VANTAGE_API_KEY for real quotes.")
    now = utcnow()
    if status.last_cycle_at is None:
        st.warning("The scheduler has not run yet. Start it with `python scheduler.py`.")
    elif scheduler_is_late(status, now, timedelta(seconds=settings().refresh_seconds)):
        st.warning(
            f"Scheduler last ran {age_text(status.last_cycle_at, now)}. "
            f"{why_late(status, database_trouble())}"
        )
    else:
        st.caption(f"Scheduler last ran {age_text(status.last_cycle_at, now)}.")


APP_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; }
@media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding-top: 2.5rem; } }
</style>"""


def close_navigation_on_phones(page_path: str) -> None:
    """On a narrow screen the navigation is a drawer that Streamlit leaves open after a page
    is chosen; close it once per page shown (the page's path makes each page's script new,
    so it runs when the page changes, not on every rerun)."""
    st.html(
        f"""<script data-page="{escape(page_path)}">
if (window.matchMedia("(max-width: 640px)").matches) {{
  const collapse = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (collapse && collapse.offsetParent !== null) collapse.click();
}}
</script>""",
        unsafe_allow_javascript=True,
    )


def timezone(account: Account) -> tzinfo:
    """The zone times are shown in: the person's choice, else their browser's, else UTC."""
    for name in (account.timezone, known_timezone(st.context.timezone)):
        if name:
            with suppress(ZoneInfoNotFoundError, ValueError, OSError):
                return ZoneInfo(name)
    return UTC


def list_switcher(lists: Sequence[ListInfo]) -> ListInfo:
    """The person's list to show: the one named in the URL (``?list=Tech``, so a view is a
    link), else the one shown last in this session, else the first; the choice goes back
    into the URL."""
    names = [each.name for each in lists]
    if st.session_state.get("list") not in names:
        wanted = st.query_params.get("list", st.session_state.get("shown_list"))
        st.session_state["list"] = wanted if wanted in names else names[0]
    chosen = st.segmented_control(
        "List",
        names,
        format_func=escape_markdown,  # a name is text, never markdown (nor an image)
        required=True,
        key="list",
        label_visibility="collapsed" if len(names) == 1 else "visible",
    )
    chosen = chosen or names[0]  # required: None only before the first run
    st.session_state["shown_list"] = chosen
    st.query_params["list"] = chosen
    return next((each for each in lists if each.name == chosen), lists[0])
