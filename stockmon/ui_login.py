"""The Streamlit side of logging in: the login form, the login cookie, and the session checks
every run makes (``sessions`` holds the rules: throttling, revocation)."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta

import streamlit as st
import streamlit_authenticator as stauth

from stockmon import accounts, sessions
from stockmon.accounts import Account
from stockmon.models import utcnow
from stockmon.ui import PAGES, engine, settings

COOKIE_NAME = "stockmon_auth"
SESSION_STARTED = "stockmon_session_started"
COOKIE_EXPIRY_DAYS = 30.0


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
