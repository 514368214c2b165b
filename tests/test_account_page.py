"""The Account page: profile (name, e-mail, time zone) and deleting the account, via AppTest."""

from sqlalchemy import func, select

from stockmon.domain import accounts
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.models import AlertRule, WatchlistItem
from stockmon.domain.watchlists import save_picks
from tests.conftest import as_read
from tests.test_app import ann, button, engine, logged_in_app, text_input  # noqa: F401


def test_a_person_changes_name_email_and_time_zone(engine, ann):  # noqa: F811
    accounts.create_user(engine, "bob", "Bob", "bob@example.com", "password2")
    at = logged_in_app("pages/account.py")
    assert not at.exception
    text_input(at, "Name").input("Ann Smith")
    text_input(at, "Email").input("BOB@example.com")
    button(at, "Save profile").click().run()
    assert "That email address is already registered." in as_read(at.error[0].value)
    text_input(at, "Email").input("ann.smith@example.com")
    next(box for box in at.selectbox if box.label == "Time zone").select("Europe/Berlin")
    button(at, "Save profile").click().run()
    assert not at.exception and at.success[0].value == "Profile saved."
    saved = accounts.get_account(engine, "ann")
    assert (saved.name, saved.email, saved.timezone) == (
        "Ann Smith",
        "ann.smith@example.com",
        "Europe/Berlin",
    )
    assert "times shown in Europe/Berlin" in at.markdown[0].value


def test_a_bad_profile_is_refused_with_a_clear_message(engine, ann):  # noqa: F811
    at = logged_in_app("pages/account.py")
    text_input(at, "Email").input("not an address")
    button(at, "Save profile").click().run()
    assert as_read(at.error[0].value) == "Please give a valid email address."
    assert accounts.get_account(engine, "ann").email == "ann@example.com"


def test_deleting_the_account_needs_confirmation_and_removes_everything(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    create_rule(engine, ann.id, "AAPL", "above", 500)
    at = logged_in_app("pages/account.py")

    def confirm(password: str, username: str) -> None:
        text_input(at, "Your password, to confirm").input(password)
        text_input(at, "Type your username (ann) to confirm").input(username)
        button(at, "Delete my account").click().run()

    confirm("sup3rsecret", "someone")
    assert as_read(at.error[0].value) == "Type your username exactly to confirm."
    confirm("wrong password", "ann")
    assert as_read(at.error[0].value) == "The password is wrong."
    assert accounts.get_account(engine, "ann") is not None
    confirm("sup3rsecret", "ann")
    assert accounts.get_account(engine, "ann") is None
    with engine.connect() as conn:
        for table in (WatchlistItem, AlertRule):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
    assert not at.session_state["authentication_status"]
