"""Every page through Streamlit's AppTest, logged out and logged in, on a seeded SQLite file."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from stockmon.app.presentation import MISSING
from stockmon.app.ui_login import SESSION_LOGIN, SESSION_STARTED
from stockmon.domain import accounts, sessions
from stockmon.domain.db import make_engine
from stockmon.domain.models import (
    LoginFailure,
    PriceHistory,
    Quote,
    User,
    Watchlist,
    WatchlistItem,
    utcnow,
)
from stockmon.domain.positions import add_lot
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import get_picks, save_picks
from tests.conftest import as_read
from tests.time_charts import drawn_charts

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 30


@pytest.fixture
def engine(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    for name, value in {
        "STOCKMON_DATABASE_URL": url,
        "STOCKMON_DATA_DIR": str(tmp_path),
        "STOCKMON_PROVIDER": "demo",
        "STOCKMON_COOKIE_KEY": "test-cookie-key-0123456789-0123456789-0123456789",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ALPHA_VANTAGE_API_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()  # the shared snapshot, too, is per database
    engine = make_engine(url)
    prepare_database(engine)
    yield engine
    st.cache_resource.clear()
    st.cache_data.clear()
    engine.dispose()


@pytest.fixture
def ann(engine) -> accounts.Account:
    return accounts.create_user(engine, "ann", "Ann Lee", "ann@example.com", "sup3rsecret")


def seed_quote(engine, symbol: str, price: float, previous_close: float, minutes_old: float = 0):
    fetched = utcnow() - timedelta(minutes=minutes_old)
    with Session(engine) as session:
        session.add(
            Quote(
                symbol=symbol,
                price=price,
                open=previous_close,
                high=max(price, previous_close),
                low=min(price, previous_close),
                previous_close=previous_close,
                change=round(price - previous_close, 4),
                change_percent=round((price - previous_close) / previous_close * 100, 4),
                volume=1234567,
                latest_trading_day=date.today(),
                fetched_at=fetched,
            )
        )
        for step in range(30):
            session.add(
                PriceHistory(
                    symbol=symbol,
                    ts=fetched - timedelta(minutes=step),
                    price=price - step * 0.1,
                    volume=1000,
                )
            )
        session.commit()


def text_input(at: AppTest, label: str):
    return next(widget for widget in at.text_input if widget.label == label)


def button(at: AppTest, label: str):
    return next(widget for widget in at.button if widget.label == label)


def log_in(at: AppTest, username: str = "ann", password: str = "sup3rsecret") -> AppTest:
    text_input(at, "Username").input(username)
    text_input(at, "Password").input(password)
    return button(at, "Log in").click().run()


def logged_in_app(
    page: str | None = None, username: str = "ann", query: dict[str, str] | None = None
) -> AppTest:
    """The app as a logged-in person first sees it (the state a valid login cookie restores),
    opened on a URL with ``query`` parameters.

    AppTest runs the entry point only on the first run, then just the current page, so the
    login state is put in place before that first run.
    """
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    database = make_engine(os.environ["STOCKMON_DATABASE_URL"])
    account = accounts.get_account(database, username)
    started = utcnow()
    login = sessions.start_login(database, account, started) if account else "no such login"
    database.dispose()
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state[SESSION_STARTED] = started
    at.session_state[SESSION_LOGIN] = login
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def test_logged_out_people_see_only_the_login(engine):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [t.value for t in at.title] == [":material/monitoring: stockmon"]
    assert {w.label for w in at.text_input} == {"Username", "Password"}
    assert not at.dataframe


def test_a_wrong_password_shows_an_error(engine, ann):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    log_in(at, password="not-the-password")
    assert [as_read(e.value) for e in at.error] == ["Wrong username or password."]
    assert not at.session_state["authentication_status"]
    with Session(engine) as session:
        failures = session.exec(select(LoginFailure).where(LoginFailure.username == "ann")).all()
        assert len(failures) == 1


def test_register_creates_a_hashed_user(engine):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.segmented_control[0].set_value("Create account").run()
    text_input(at, "Username").input("Bob_1")
    text_input(at, "Name").input("Bob Stone")
    text_input(at, "Email").input("bob@example.com")
    text_input(at, "Password").input("correct horse")
    text_input(at, "Repeat password").input("correct horse")
    button(at, "Create account").click().run()
    assert not at.exception
    assert "Welcome, Bob Stone" in at.success[0].value
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "bob_1")).one()
    assert user.password_hash.startswith("$2") and "correct horse" not in user.password_hash
    assert accounts.verify_password(engine, "bob_1", "correct horse")

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    log_in(at, "bob_1", "correct horse")
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "bob_1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"Username": "x"}, "The username needs 3 to 32 characters"),
        ({"Email": "not-an-email"}, "valid email"),
        ({"Password": "short", "Repeat password": "short"}, "at least 8 characters"),
        ({"Repeat password": "different1"}, "do not match"),
        ({"Username": "ann"}, "username is already registered"),
        ({"Email": "ANN@example.com"}, "email address is already registered"),
    ],
)
def test_registration_errors_say_what_to_fix(engine, ann, fields, message):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.segmented_control[0].set_value("Create account").run()
    values = {
        "Username": "carol",
        "Name": "Carol",
        "Email": "carol@example.com",
        "Password": "password1",
        "Repeat password": "password1",
        **fields,
    }
    for label, value in values.items():
        text_input(at, label).input(value)
    button(at, "Create account").click().run()
    assert message in as_read(at.error[0].value)
    assert len(accounts.list_accounts(engine)) == 1


def test_logging_in_opens_the_dashboard(engine, ann):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    log_in(at, "  ANN ", "sup3rsecret")
    assert not at.exception and not at.error
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "ann"
    assert at.session_state["stockmon_cookie_due"]  # given on the next run (browser test)
    at.switch_page("pages/dashboard.py").run()
    assert at.title[0].value == "Dashboard"


def test_the_logged_in_app_has_pages_and_a_sidebar(engine, ann):
    at = logged_in_app()
    assert not at.exception
    assert at.title[0].value == "Dashboard"
    assert "not picked any stocks" in at.info[0].value
    assert "@ann" in at.sidebar.markdown[0].value
    assert any("Demo market" in c.value for c in at.sidebar.caption)


def test_picking_stocks_persists_them(engine, ann):
    at = logged_in_app("pages/picker.py")
    assert at.title[0].value == "Stock Picker"
    at.multiselect[0].set_value(["TSLA", "AAPL", "GME"]).run()  # saved as it changes
    assert at.toast[0].value == "Saved 3 symbols on My stocks."
    assert get_picks(engine, ann.id) == ["TSLA", "AAPL", "GME"]

    again = logged_in_app("pages/picker.py")
    assert again.multiselect[0].value == ["TSLA", "AAPL", "GME"]


def test_the_picker_shows_the_current_prices_of_the_picks(engine, ann):
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 190.0, 188.0)
    at = logged_in_app("pages/picker.py")
    prices = at.dataframe[0].value
    assert list(prices["symbol"]) == ["AAPL", "MSFT"]
    assert prices.iloc[0]["price"] == 190.0
    assert prices.iloc[1]["price"] == MISSING  # drawn "—", never "None"


def test_nobody_sees_another_persons_picks(engine, ann):
    bob = accounts.create_user(engine, "bob", "Bob", "bob@example.com", "password2")
    save_picks(engine, bob.id, ["NFLX"])
    at = logged_in_app("pages/picker.py")
    assert at.multiselect[0].value == []
    assert get_picks(engine, bob.id) == ["NFLX"]


def test_the_dashboard_shows_seeded_quotes(engine, ann):
    save_picks(engine, ann.id, ["AAPL", "MSFT", "GME"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    seed_quote(engine, "MSFT", 410.0, 415.0)
    at = logged_in_app()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Symbol"]) == ["AAPL", "MSFT", "GME"]
    aapl = table.iloc[0]
    assert (aapl["Company"], aapl["Price"], aapl["Prev close"]) == ("Apple Inc.", 230.5, 228.0)
    assert aapl["Change"] == pytest.approx(2.5) and aapl["Change %"] == pytest.approx(1.0965, 1e-3)
    assert table.iloc[1]["Change"] == pytest.approx(-5.0)
    assert table.iloc[2]["Updated"] == "waiting for first quote"
    assert len(aapl["Trend"]) > 5
    metrics = {m.label: m for m in at.metric}
    assert metrics["Best mover · AAPL"].value == "230.50"
    assert metrics["Worst mover · MSFT"].delta == "-1.20%"
    ticker = next(h.proto.body for h in at.get("html") if 'class="stockmon-ticker"' in h.proto.body)
    assert "<b>AAPL</b> 230.50 ▲ +1.10%" in ticker and "<b>MSFT</b> 410.00 ▼ -1.20%" in ticker
    assert not at.main.warning


def test_stale_quotes_are_flagged_with_their_age(engine, ann):
    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 230.5, 228.0, minutes_old=45)
    at = logged_in_app()
    assert "Quotes are stale: the newest is from 45 min ago" in at.main.warning[0].value


def test_no_quote_yet_says_waiting(engine, ann):
    save_picks(engine, ann.id, ["AAPL"])
    at = logged_in_app()
    assert "Waiting for the first quotes" in at.info[0].value


def test_the_ticker_shows_hostile_text_as_text(engine, ann):
    hostile = "<img src=x>"  # in the database behind the library's back
    with Session(engine) as session:
        mine = Watchlist(user_id=ann.id, name="Mine", created_at=utcnow())
        session.add(mine)
        session.flush()
        session.add(WatchlistItem(watchlist_id=mine.id, symbol=hostile, added_at=utcnow()))
        session.commit()
    seed_quote(engine, hostile, 10.0, 9.0)
    at = logged_in_app()
    assert not at.exception
    ticker = next(h.proto.body for h in at.get("html") if 'class="stockmon-ticker"' in h.proto.body)
    assert "&lt;img src=x&gt;" in ticker and "<img" not in ticker


def test_the_charts_page_draws_prices_and_a_comparison(engine, ann):
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    seed_quote(engine, "MSFT", 410.0, 415.0)
    at = logged_in_app("pages/charts.py")
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Compared", "Prices"]
    assert len(drawn_charts(at)) == 1  # only the open tab's chart is drawn
    at = logged_in_app("pages/charts.py", query={"view": "Prices"})
    charts = drawn_charts(at)
    assert len(charts) == 2
    assert "previous close 228.00" in charts[0].text()


def test_a_charts_link_to_a_view_not_offered_opens_the_first(engine, ann):
    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    for view in ("Compared", "<script>alert(1)</script>"):  # one symbol: nothing to compare
        at = logged_in_app("pages/charts.py", query={"view": view})
        assert not at.exception, view
        assert [t.label for t in at.tabs] == ["Prices"]
        assert "previous close 228.00" in drawn_charts(at)[0].text()


def test_the_charts_page_shows_the_portfolio_value_in_its_own_tab(engine, ann):
    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    add_lot(engine, ann.id, "AAPL", date(2025, 1, 10), 10, 100.0)
    at = logged_in_app("pages/charts.py")
    assert [t.label for t in at.tabs] == ["Prices", "Portfolio value"]  # one symbol: no comparison
    at = logged_in_app("pages/charts.py", query={"view": "Portfolio value"})
    assert not at.exception
    (chart,) = drawn_charts(at)
    values = chart.data.sort_values("time")["value"]  # in USD, the lot's currency
    assert values.iloc[-1] == pytest.approx(2305.0) and values.iloc[0] == pytest.approx(2276.0)


def test_the_account_page_changes_the_password(engine, ann):
    at = logged_in_app("pages/account.py")
    assert "ann@example\\.com" in at.markdown[0].value
    text_input(at, "Current password").input("wrong-one")
    text_input(at, "New password").input("brand-new-pass")
    text_input(at, "Repeat new password").input("brand-new-pass")
    button(at, "Change password").click().run()
    assert as_read(at.error[0].value) == "The current password is wrong."

    text_input(at, "Current password").input("sup3rsecret")
    text_input(at, "New password").input("brand-new-pass")
    text_input(at, "Repeat new password").input("brand-new-pass")
    button(at, "Change password").click().run()
    assert at.success[0].value == "Password changed. You were logged out everywhere else."
    assert accounts.verify_password(engine, "ann", "brand-new-pass")


def test_names_are_shown_as_text_not_markdown(engine):
    accounts.create_user(engine, "eve", "[click](http://evil.test) **x**", "eve@example.com",
                         "sup3rsecret")  # fmt: skip
    at = logged_in_app(username="eve")
    assert not at.exception
    shown = at.sidebar.markdown[0].value
    assert "\\[click\\]\\(http://evil\\.test\\) \\*\\*x\\*\\*" in shown
