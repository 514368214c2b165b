"""The login cookie as a real server judges it, seen by tabs that speak Streamlit's protocol:
a cookie the app signed opens the live dashboard; a forged or garbled one, or one issued
before the account's sessions were ended, opens only the login, without an error. No page
mounts a component, which would report back and run the page a second time."""

from datetime import timedelta

import jwt
import pytest

from stockmon.app.ui_login import COOKIE_NAME
from stockmon.domain import accounts
from stockmon.domain.db import make_engine
from stockmon.domain.models import Login, utcnow
from stockmon.domain.schema import prepare_database
from stockmon.domain.sessions import end_login, end_sessions, read_login_token, valid_session
from stockmon.domain.watchlists import save_picks
from tests.running import running_product
from tests.streamlit_client import ProtocolSession, ProtocolTabs, login_cookie

COOKIE_KEY = "protocol-test-cookie-key-0123456789-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An app (no scheduler) on a SQLite file with ann, who picked two stocks, and tabs."""
    folder = tmp_path_factory.mktemp("protocol")
    url = f"sqlite:///{folder / 'app.db'}"
    engine = make_engine(url)
    prepare_database(engine)
    ann = accounts.create_user(engine, "ann", "Ann Lee", "ann@example.com", "sup3rsecret")
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    settings = {
        "STOCKMON_DATABASE_URL": url,
        "STOCKMON_DATA_DIR": str(folder),
        "STOCKMON_PROVIDER": "demo",
        "STOCKMON_COOKIE_KEY": COOKIE_KEY,
    }
    with running_product(settings, folder / "logs", scheduler=False) as product:
        tabs = ProtocolTabs(product.url)
        try:
            yield engine, tabs
        finally:
            tabs.close()
            engine.dispose()


def shows_dashboard(tab: ProtocolSession) -> bool:
    return "Dashboard" in tab.drawn  # the page's title


def shows_login(tab: ProtocolSession) -> bool:
    return ":material/monitoring: stockmon" in tab.drawn  # the login page's title


def test_a_signed_cookie_opens_the_live_dashboard(server):
    engine, tabs = server
    tab = tabs.open(login_cookie(engine, "ann", COOKIE_KEY))
    assert shows_dashboard(tab)
    assert tab.fragments  # the table and the sidebar refresh on their own
    assert not tab.components and not tab.errors


def test_the_login_page_mounts_no_component(server):
    """A component reports back as it mounts: a second run, around which a login sent at
    once could go unanswered."""
    _engine, tabs = server
    tab = tabs.open({})
    assert shows_login(tab)
    assert not tab.components and not tab.errors


@pytest.mark.parametrize(
    "value",
    [
        jwt.encode({"username": "ann", "exp_date": 4e9}, None, algorithm="none"),
        jwt.encode({"username": "ann", "exp_date": "never"}, COOKIE_KEY, algorithm="HS256"),
        jwt.encode({"username": "ann"}, COOKIE_KEY, algorithm="HS256"),
        "garbled",
    ],
    ids=["unsigned", "expiry-not-a-number", "no-expiry", "garbled"],
)
def test_a_garbled_or_hostile_cookie_opens_only_the_login_without_an_error(server, value):
    _engine, tabs = server
    tab = tabs.open({COOKIE_NAME: value})
    assert shows_login(tab) and not shows_dashboard(tab)
    assert not tab.errors


def test_a_cookie_signed_with_another_key_opens_only_the_login(server):
    engine, tabs = server
    tab = tabs.open(login_cookie(engine, "ann", "some-other-key-0123456789-0123456789-0123"))
    assert not shows_dashboard(tab)
    assert not tab.fragments
    assert shows_login(tab)


def test_a_cookie_from_before_sessions_ended_opens_only_the_login(server):
    engine, tabs = server
    issued = utcnow() - timedelta(hours=1)
    end_sessions(engine, "ann")
    tab = tabs.open(login_cookie(engine, "ann", COOKIE_KEY, issued=issued))
    assert not shows_dashboard(tab)
    assert shows_dashboard(
        tabs.open(login_cookie(engine, "ann", COOKIE_KEY))
    )  # a new login's cookie


def test_a_logged_out_cookie_opens_nothing_even_copied(server):
    """ "Log out" ends the login on the server: the same cookie, kept or copied elsewhere,
    opens only the login page from then on."""
    engine, tabs = server
    cookie = login_cookie(engine, "ann", COOKIE_KEY)
    assert shows_dashboard(tabs.open(cookie))
    token = read_login_token(cookie[COOKIE_NAME], COOKIE_KEY)
    assert token is not None
    end_login(engine, token.login)  # what the Log out button does
    tab = tabs.open(cookie)
    assert shows_login(tab) and not shows_dashboard(tab) and not tab.errors


def test_a_cookie_of_a_removed_account_does_not_open_its_namesake(server):
    """frank's cookie, frank removed, someone registers frank again: the old cookie opens
    only the login page, not the new person's account."""
    engine, tabs = server
    accounts.create_user(engine, "frank", "Frank One", "f1@example.com", "sup3rsecret")
    old = login_cookie(engine, "frank", COOKIE_KEY, issued=utcnow() - timedelta(minutes=5))
    token = read_login_token(old[COOKIE_NAME], COOKIE_KEY)
    assert token is not None
    accounts.remove_user(engine, "frank")
    again = accounts.create_user(engine, "frank", "Frank Two", "f2@example.com", "sup3rsecret")
    save_picks(engine, again.id, ["AAPL"])
    # the same login id, made to look current: the account's sessions start at its creation
    with engine.begin() as conn:
        conn.execute(
            Login.__table__.insert(),
            {"id": token.login, "user_id": again.id, "started_at": token.started},
        )
    assert valid_session(engine, "frank", token.login, token.started) is None
    tab = tabs.open(old)
    assert shows_login(tab) and not shows_dashboard(tab)
