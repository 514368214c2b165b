"""The Streamlit side of logging in: the login form, the login cookie, and the session checks
every run makes (``sessions`` holds the rules: throttling, revocation).

The login cookie is read from the request (``st.context.cookies``) and written by a script
the page runs, never through streamlit-authenticator's ``Authenticate``: its cookie reader is a
component that reports back as it mounts, a second run of every freshly loaded page, around
which a login sent at once could go unanswered."""

from __future__ import annotations

import json
from datetime import datetime

import streamlit as st
from streamlit_authenticator.controllers import AuthenticationController

from stockmon.app.frame import PAGES
from stockmon.app.ui import engine, settings
from stockmon.domain import accounts, sessions
from stockmon.domain.accounts import Account
from stockmon.domain.models import utcnow

COOKIE_NAME = "stockmon_auth"
SESSION_STARTED = "stockmon_session_started"
SESSION_LOGIN = "stockmon_login"  # the ``logins`` row this session's cookie names
COOKIE_DUE = "stockmon_cookie_due"


def _cookie_key() -> str:
    configured = settings().cookie_key
    if configured is not None:
        return configured.get_secret_value()
    try:
        from_secrets = st.secrets.get("cookie_key")
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        from_secrets = None
    return accounts.cookie_key(from_secrets, settings().data_dir)


def _login_state() -> AuthenticationController:
    """streamlit-authenticator's keeper of the login in session state (``authentication_status``,
    ``username``, ``name``, ``logout``), holding no accounts: stockmon checks passwords itself."""
    return AuthenticationController({"usernames": {}}, auto_hash=False)


def init_login_state() -> None:
    """Give each of the login's session-state keys its value, None until a login."""
    _login_state()


def _start_session(account: Account, login: str, started: datetime) -> None:
    st.session_state.update(
        {
            "authentication_status": True,
            "username": account.username,
            "name": account.name,
            "email": account.email,
            "logout": False,
            SESSION_STARTED: started,
            SESSION_LOGIN: login,
        }
    )


def restore_login() -> None:
    """Log the person in from their login cookie while its login and account exist and the
    account's sessions have not been ended since the cookie was issued; else have the cookie
    forgotten."""
    if st.session_state.get("authentication_status") or st.session_state.get("logout"):
        return
    value = st.context.cookies.get(COOKIE_NAME)
    token = sessions.read_login_token(value, _cookie_key()) if value else None
    if token is None:
        return
    account = sessions.valid_session(engine(), token.username, token.login, token.started)
    if account is None:
        st.session_state["logout"] = True  # forget_login_cookie drops it
        return
    _start_session(account, token.login, token.started)


def log_in(username: str, password: str) -> None:
    """Check the password (``sessions.LoginRefused`` if wrong or throttled) and start the
    session; the next run, already the dashboard, gives the browser its cookie."""
    account = sessions.log_in(engine(), username, password)
    now = utcnow()
    _start_session(account, sessions.start_login(engine(), account, now), now)
    st.session_state[COOKIE_DUE] = True


def _write_cookie(value: str, max_age: int) -> None:
    """Have the page set (or, with ``max_age=0``, drop) the login cookie with a script that
    runs as it is drawn: no component round trip, so no extra rerun to wait for."""
    cookie = json.dumps(f"{COOKIE_NAME}={value}; path=/; max-age={max_age}; SameSite=Strict")
    st.html(
        f"<script>document.cookie = {cookie} + "
        f"(location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def _give_cookie() -> None:
    """The token ``restore_login`` reads back."""
    state = st.session_state
    token = sessions.login_token(state["username"], state[SESSION_LOGIN], _cookie_key(), utcnow())
    _write_cookie(token, int(sessions.LOGIN_LIFETIME.total_seconds()))


def give_cookie() -> None:
    """Set the login cookie the session's login asked for (once, on the run after it)."""
    if st.session_state.pop(COOKIE_DUE, False) and st.session_state.get("authentication_status"):
        _give_cookie()


def renew_session(started: datetime) -> None:
    """Keep this session (and give it a new cookie) after ending the account's others."""
    st.session_state[SESSION_STARTED] = started
    _give_cookie()


def forget_login_cookie() -> None:
    """After a logout, have the browser drop the login cookie; drawn on every logged-out run
    of a session that logged out, so a page that moved on too fast still gets it."""
    if st.session_state.get("logout"):
        _write_cookie("", 0)


def log_out() -> None:
    """End this session's login, on the server too (its cookie, wherever copied, opens
    nothing any more); the run that finds it logged out has the cookie forgotten
    (``forget_login_cookie``)."""
    if login := st.session_state.pop(SESSION_LOGIN, None):
        sessions.end_login(engine(), login)
    _login_state().logout()
    st.session_state.pop(SESSION_STARTED, None)


def current_account() -> Account | None:
    """The logged-in account, checked on every run: a session its account has ended since (a
    password change or "log out everywhere", on any replica) or whose account is gone ends."""
    if not st.session_state.get("authentication_status"):
        return None
    started = st.session_state.get(SESSION_STARTED)
    login = st.session_state.get(SESSION_LOGIN)
    username = st.session_state.get("username") or ""
    account = (
        sessions.valid_session(engine(), username, login, started) if started and login else None
    )
    if account is None:
        log_out()
    return account


def require_account() -> Account:
    """The logged-in account; pages are only reachable logged in, so this never stops a person."""
    account = current_account()
    if account is None:
        st.switch_page(PAGES["login"])
    return account


def login_form() -> None:
    """Username and password; a refusal says why in words that reveal nothing about the
    username (``sessions``: wrong password, or too many attempts)."""
    with st.form("login"):
        st.subheader("Log in")
        username = st.text_input("Username", max_chars=64)
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        try:
            log_in(username, password)
        except sessions.LoginRefused as error:
            st.error(str(error))
        else:
            st.rerun()
