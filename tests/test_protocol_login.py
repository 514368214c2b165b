"""The login cookie as a real server judges it, seen by tabs that speak Streamlit's protocol:
a cookie the app signed opens the live dashboard; a forged one, or one issued before the
account's sessions were ended, opens only the login."""

from datetime import timedelta

import pytest

from stockmon import accounts
from stockmon.db import make_engine
from stockmon.models import utcnow
from stockmon.schema import prepare_database
from stockmon.sessions import end_sessions
from stockmon.watchlists import save_picks
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


def test_a_signed_cookie_opens_the_live_dashboard(server):
    _engine, tabs = server
    tab = tabs.open(login_cookie("ann", COOKIE_KEY))
    assert shows_dashboard(tab)
    assert tab.fragments  # the table and the sidebar refresh on their own


def test_a_cookie_signed_with_another_key_opens_only_the_login(server):
    _engine, tabs = server
    tab = tabs.open(login_cookie("ann", "some-other-key-0123456789-0123456789-0123"))
    assert not shows_dashboard(tab)
    assert not tab.fragments
    assert ":material/monitoring: stockmon" in tab.drawn  # the login page's title


def test_a_cookie_from_before_sessions_ended_opens_only_the_login(server):
    engine, tabs = server
    issued = utcnow() - timedelta(hours=1)
    end_sessions(engine, "ann")
    tab = tabs.open(login_cookie("ann", COOKIE_KEY, issued=issued))
    assert not shows_dashboard(tab)
    assert shows_dashboard(tabs.open(login_cookie("ann", COOKIE_KEY)))  # a new login's cookie
