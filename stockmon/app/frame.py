"""The frame around every page: the navigation's pages and icon, links to a stock's own page,
the sidebar's scheduler line, the zone times are shown in, the list switcher, and the page
chrome for phones."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, timedelta, tzinfo
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from stockmon.app.dashboard import scheduler_is_late, why_late
from stockmon.app.heartbeat import SchedulerStatus
from stockmon.app.presentation import age_text, escape_markdown, provider_label
from stockmon.app.ui import (
    database_trouble,
    market_snapshot,
    settings,
    showing_database_trouble,
    timed,
)
from stockmon.domain.accounts import Account, known_timezone
from stockmon.domain.config import ProviderChoice
from stockmon.domain.models import utcnow
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
    "symbol": "pages/symbol.py",
}


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
        st.caption("Set ALPHA_VANTAGE_API_KEY or FINNHUB_API_KEY for real quotes.")
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


def symbol_link(symbol: str, label: str | None = None, where: Any = None) -> None:
    """A link to ``symbol``'s own page, labelled with the symbol (or ``label``, as text)."""
    (where or st).page_link(
        PAGES["symbol"],
        label=escape_markdown(label or symbol),
        query_params={"symbol": symbol},
        icon=":material/candlestick_chart:",
    )


def open_symbol_page(symbol: str) -> None:
    """Go to ``symbol``'s own page (a table row chosen)."""
    st.switch_page(PAGES["symbol"], query_params={"symbol": symbol})


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
