"""The Streamlit side of stockmon: shared resources, login state and the sidebar.

The only module of the library that imports Streamlit; pages call it and the plain modules.
"""

from __future__ import annotations

import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
import streamlit_authenticator as stauth

from stockmon import accounts, sessions
from stockmon.accounts import Account
from stockmon.config import ConfigError, ProviderChoice, Settings, load_settings
from stockmon.dashboard import scheduler_is_late
from stockmon.db import make_engine
from stockmon.models import utcnow
from stockmon.presentation import age_text, escape_markdown
from stockmon.queries import catalog
from stockmon.schema import prepare_database
from stockmon.snapshot import MarketSnapshot, take_snapshot

ICON = Path(__file__).parent / "assets" / "icon.png"
COOKIE_NAME = "stockmon_auth"
SESSION_STARTED = "stockmon_session_started"
COOKIE_EXPIRY_DAYS = 30.0
PROVIDER_LABELS = {"alphavantage": "Alpha Vantage", "demo": "Demo market (simulated)"}

PAGES = {
    "dashboard": "pages/dashboard.py",
    "picker": "pages/picker.py",
    "charts": "pages/charts.py",
    "alerts": "pages/alerts.py",
    "account": "pages/account.py",
    "login": "pages/login.py",
}


@st.cache_resource(show_spinner=False)
def _settings() -> Settings:
    return load_settings()


def settings() -> Settings:
    """The validated settings, or a clear error on the page (and nothing else) when invalid."""
    try:
        return _settings()
    except ConfigError as error:
        st.error(f"stockmon cannot start: {error}")
        st.stop()
        raise


@st.cache_resource(show_spinner=False)
def engine():
    """One engine for every session of this process; the schema is ready when it returns."""
    database = make_engine(settings().database_url)
    prepare_database(database)
    return database


@st.cache_data(ttl=60, max_entries=4, show_spinner=False)
def _snapshot(period: int) -> MarketSnapshot:
    """One snapshot per process and refresh ``period`` (a number that changes each period),
    whatever the number of sessions asking."""
    return take_snapshot(engine(), utcnow())


def market_snapshot() -> MarketSnapshot:
    """The shared snapshot of quotes, sparklines, heartbeat and alert counters, at most one
    dashboard refresh old."""
    return _snapshot(int(time.time() // settings().dashboard_refresh_seconds))


def refresh_snapshot() -> None:
    """After a change the snapshot counts (alerts read), take the next one now."""
    _snapshot.clear()


@st.cache_data(ttl=3_600, show_spinner=False)
def symbol_names() -> dict[str, str]:
    """The catalog's company names (they change when the catalog does: at most hourly)."""
    names = catalog(engine())
    return dict(zip(names["symbol"], names["name"], strict=True))


def _cookie_key() -> str:
    configured = settings().cookie_key
    if configured is not None:
        return configured.get_secret_value()
    try:
        from_secrets = st.secrets.get("cookie_key")
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        from_secrets = None
    return accounts.cookie_key(from_secrets, settings().data_dir)


def authenticator() -> stauth.Authenticate:
    """The keeper of the login cookie (it signs, sets, reads and deletes it). stockmon checks
    passwords, throttling and sessions itself, one account at a time, so it holds no accounts."""
    return stauth.Authenticate(
        {"usernames": {}},
        cookie_name=COOKIE_NAME,
        cookie_key=_cookie_key(),
        cookie_expiry_days=COOKIE_EXPIRY_DAYS,
        auto_hash=False,
    )


def _start_session(account: Account, started: datetime) -> None:
    st.session_state.update(
        {
            "authentication_status": True,
            "username": account.username,
            "name": account.name,
            "email": account.email,
            "logout": False,
            SESSION_STARTED: started,
            "stockmon_account": account,
        }
    )


def restore_login(auth: stauth.Authenticate) -> None:
    """Log the person in from their cookie while the account exists and its sessions have not
    been ended since the cookie was issued; else have the cookie forgotten."""
    if st.session_state.get("authentication_status"):
        return
    token = auth.cookie_controller.get_cookie()
    if not token:
        return
    issued = datetime.fromtimestamp(token["exp_date"], UTC) - timedelta(days=COOKIE_EXPIRY_DAYS)
    account = sessions.valid_session(engine(), token["username"], issued)
    if account is None:
        st.session_state["logout"] = True  # forget_login_cookie drops it
        return
    _start_session(account, issued)


def log_in(auth: stauth.Authenticate, username: str, password: str) -> None:
    """Check the password (``sessions.LoginRefused`` if wrong or throttled), start the session
    and give the browser its cookie."""
    account = sessions.log_in(engine(), username, password)
    _start_session(account, utcnow())
    auth.cookie_controller.set_cookie()


def renew_session(auth: stauth.Authenticate, started: datetime) -> None:
    """Keep this session (and give it a new cookie) after ending the account's others."""
    st.session_state[SESSION_STARTED] = started
    auth.cookie_controller.set_cookie()


def forget_login_cookie(auth: stauth.Authenticate) -> None:
    """After a logout, keep asking the browser to drop the login cookie.

    Asked once, from the run that logs out, the request could be lost should the page move on
    before the browser ran it, and a reload would log the person back in. Rendered on every
    logged-out run of a session that logged out, the request stays on the page until done.
    """
    if st.session_state.get("logout"):
        manager = auth.cookie_controller.cookie_model.cookie_manager
        with suppress(KeyError):  # raised when it never saw the cookie: nothing to forget
            manager.delete(COOKIE_NAME, key="stockmon_forget_login")


def log_out(auth: stauth.Authenticate) -> None:
    """End this session's login; the run that finds it logged out has the cookie forgotten
    (``forget_login_cookie``), quietly, where the library's own logout prints to stdout."""
    auth.authentication_controller.logout()
    st.session_state.pop("stockmon_account", None)
    st.session_state.pop(SESSION_STARTED, None)


def current_account() -> Account | None:
    """The logged-in account, checked on every run: a session its account has ended since (a
    password change or "log out everywhere", on any replica) or whose account is gone ends."""
    if not st.session_state.get("authentication_status"):
        return None
    started = st.session_state.get(SESSION_STARTED)
    account = (
        sessions.valid_session(engine(), st.session_state.get("username") or "", started)
        if started
        else None
    )
    if account is None:
        log_out(st.session_state["stockmon_authenticator"])
        return None
    st.session_state["stockmon_account"] = account
    return account


def require_account() -> Account:
    """The logged-in account; pages are only reachable logged in, so this never stops a person."""
    account = current_account()
    if account is None:
        st.switch_page(PAGES["login"])
    return account


def login_form(auth: stauth.Authenticate) -> None:
    """Username and password; a refusal says why in words that reveal nothing about the
    username (``sessions``: wrong password, or too many attempts)."""
    with st.form("login"):
        st.subheader("Log in")
        username = st.text_input("Username", max_chars=64)
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            log_in(auth, username, password)
        except sessions.LoginRefused as error:
            st.error(str(error))
        else:
            # The cookie component reruns the app once the cookie is set; the button is the
            # way on should a browser not run it.
            st.success("Logged in. Opening your dashboard…")
            st.button("Continue to the dashboard", type="primary")


def sidebar(auth: stauth.Authenticate, account: Account) -> None:
    with st.sidebar:
        st.markdown(f"**{escape_markdown(account.name)}**  \n@{account.username}")
        if st.button("Log out", key="logout_button"):
            log_out(auth)
        st.divider()
        scheduler_caption()


def scheduler_caption() -> None:
    """Which provider, and when the scheduler last ran: redrawn with the dashboard's refresh,
    judged by the same rule as the dashboard's banner."""

    @st.fragment(run_every=timedelta(seconds=settings().dashboard_refresh_seconds))
    def caption() -> None:
        status = market_snapshot().status
        # what the scheduler last reported using; before its first cycle, what it will use
        provider = status.provider or settings().effective_provider.value
        st.caption(f"Quotes: {PROVIDER_LABELS.get(provider, provider)}")
        if provider == ProviderChoice.DEMO.value:
            st.caption("Set ALPHA_VANTAGE_API_KEY for real quotes.")
        now = utcnow()
        if status.last_cycle_at is None:
            st.warning("The scheduler has not run yet. Start it with `python scheduler.py`.")
        elif scheduler_is_late(status, now, timedelta(seconds=settings().refresh_seconds)):
            st.warning(f"Scheduler last ran {age_text(status.last_cycle_at, now)}.")
        else:
            st.caption(f"Scheduler last ran {age_text(status.last_cycle_at, now)}.")

    caption()


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
    for name in (account.timezone, st.context.timezone):
        if name:
            with suppress(ZoneInfoNotFoundError, ValueError):
                return ZoneInfo(name)
    return UTC
