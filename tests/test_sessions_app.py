"""Login throttling and revocable sessions as a person meets them, through AppTest."""

from streamlit.testing.v1 import AppTest

from stockmon.domain.sessions import LOCK_AFTER
from tests.test_app import (  # noqa: F401 (fixtures)
    APP,
    TIMEOUT,
    ann,
    button,
    engine,
    logged_in_app,
    text_input,
)


def test_a_throttled_login_shows_the_pause_in_the_app(engine, ann):  # noqa: F811
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for attempt in range(LOCK_AFTER + 1):
        password = "sup3rsecret" if attempt == LOCK_AFTER else "wrong-password"
        text_input(at, "Username").input("ann")
        text_input(at, "Password").input(password)
        button(at, "Log in").click().run()
    assert "paused for 15 minutes" in at.error[0].value
    assert not at.session_state["authentication_status"]


def test_a_password_change_logs_out_the_other_sessions_at_their_next_run(engine, ann):  # noqa: F811
    here = logged_in_app("pages/account.py")
    elsewhere = logged_in_app()
    assert elsewhere.session_state["authentication_status"]
    text_input(here, "Current password").input("sup3rsecret")
    text_input(here, "New password").input("brand-new-pass")
    text_input(here, "Repeat new password").input("brand-new-pass")
    button(here, "Change password").click().run()
    assert "logged out everywhere else" in here.success[0].value
    here.run()
    assert here.session_state["authentication_status"]  # this session goes on
    elsewhere.run()
    assert not elsewhere.session_state["authentication_status"]


def test_log_out_everywhere_ends_every_session(engine, ann):  # noqa: F811
    here = logged_in_app("pages/account.py")
    elsewhere = logged_in_app()
    button(here, "Log out everywhere").click().run()
    assert not here.session_state["authentication_status"]
    elsewhere.run()
    assert not elsewhere.session_state["authentication_status"]


def test_closed_registration_offers_only_the_login(engine, monkeypatch):  # noqa: F811
    monkeypatch.setenv("STOCKMON_REGISTRATION", "closed")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert at.segmented_control[0].options == ["Log in"]
    assert "made by an admin" in at.caption[-1].value


def test_an_allowlist_refuses_other_addresses_above_the_form(engine, monkeypatch):  # noqa: F811
    monkeypatch.setenv("STOCKMON_REGISTRATION", "allowlist")
    monkeypatch.setenv("STOCKMON_REGISTRATION_ALLOWLIST", "example.com")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.segmented_control[0].set_value("Create account").run()
    for label, value in (("Username", "eve"), ("Name", "Eve"), ("Email", "eve@evil.org"),
                         ("Password", "password1"), ("Repeat password", "password1")):  # fmt: skip
        text_input(at, label).input(value)
    button(at, "Create account").click().run()
    assert "may not register here" in at.error[0].value
    text_input(at, "Email").input("eve@example.com")
    button(at, "Create account").click().run()
    assert "Welcome, Eve!" in at.success[0].value
