"""The Streamlit side of stockmon: shared resources, login state and the sidebar.

The only module of the library that imports Streamlit; pages call it and the plain modules.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, timedelta, tzinfo
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
import streamlit_authenticator as stauth

from stockmon import accounts
from stockmon.accounts import Account
from stockmon.config import ConfigError, ProviderChoice, Settings, load_settings
from stockmon.dashboard import scheduler_is_late
from stockmon.db import make_engine
from stockmon.models import utcnow
from stockmon.presentation import age_text, escape_markdown
from stockmon.queries import scheduler_status
from stockmon.schema import prepare_database

ICON = Path(__file__).parent / "assets" / "icon.png"
COOKIE_NAME = "stockmon_auth"
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
    """The one ``Authenticate`` of this script run, over the accounts in the database."""
    return stauth.Authenticate(
        accounts.credentials(engine()),
        cookie_name=COOKIE_NAME,
        cookie_key=_cookie_key(),
        cookie_expiry_days=COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=0,
    )


def restore_login(auth: stauth.Authenticate) -> None:
    """Log the person in from their cookie, if it is valid and their account still exists."""
    try:
        auth.login(location="unrendered")
    except stauth.LoginError:  # the account behind the cookie is gone
        log_out(auth)


def forget_login_cookie(auth: stauth.Authenticate) -> None:
    """After a logout, keep asking the browser to drop the login cookie.

    streamlit-authenticator asks once, from the run that logs out; should the page move on
    before the browser ran that request, a reload would log the person back in. Rendered on
    every logged-out run of a session that logged out, the request stays on the page until done.
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


def current_account() -> Account | None:
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username") or ""
    cached = st.session_state.get("stockmon_account")
    if cached is None or cached.username != username:
        cached = accounts.get_account(engine(), username)
        st.session_state["stockmon_account"] = cached
    return cached


def require_account() -> Account:
    """The logged-in account; pages are only reachable logged in, so this never stops a person."""
    account = current_account()
    if account is None:
        st.switch_page(PAGES["login"])
    return account


def login_form(auth: stauth.Authenticate) -> None:
    """The login form; failed-attempt counters it changes in memory are saved to ``users``."""
    users = auth.authentication_controller.authentication_model.credentials["usernames"]
    before = {name: data.get("failed_login_attempts", 0) for name, data in users.items()}
    auth.login(
        location="main",
        fields={"Form name": "Log in", "Username": "Username", "Password": "Password",
                "Login": "Log in"},
    )  # fmt: skip
    changed = {
        name: data.get("failed_login_attempts", 0)
        for name, data in users.items()
        if data.get("failed_login_attempts", 0) != before.get(name)
    }
    if changed:
        accounts.save_failed_login_attempts(engine(), changed)


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
        status = scheduler_status(engine())
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
