"""The product as a person meets it: scheduler + `streamlit run`, driven in Debian's Chromium.

register → log in → pick three stocks → live prices → reload keeps the login → log out →
reload stays logged out. Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from stockmon.domain import accounts
from stockmon.domain.db import make_engine
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import create_list, save_picks
from tests.receivers import Receiver, receiving
from tests.running import running_product

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
TIME_CHART = ".stockmon-chart canvas"  # a chart of lines or bars, drawn
BROKER_CSV = b"type,symbol,date,quantity,price\nbuy,KO,2025-01-10,5,58.2\nbuy,NOPE,2025-01-10,1,1\n"
CHROMIUM = os.environ.get("STOCKMON_CHROMIUM", "/usr/bin/chromium")
PICKS = {"AAPL": "AAPL · Apple Inc.", "NVDA": "NVDA · NVIDIA Corporation",
         "TSLA": "TSLA · Tesla Inc."}  # fmt: skip

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser test needs Chromium at {CHROMIUM} (apt-get install chromium)",
)


class AppURL(str):
    """The app's address, and the data folder (with its SQLite database) it runs on."""

    data_dir: str


@contextmanager
def serving(settings: dict[str, str], logs: Path) -> Iterator[str]:
    """The product on ``settings`` (see ``running_product``); yields the app's URL and checks
    its log at the end."""
    with running_product(settings, logs) as product:
        yield product.url
    app_output = (logs / "app.log").read_text()
    assert "Traceback" not in app_output, app_output
    assert "'stockmon_auth'" not in app_output  # logging out prints nothing


@contextmanager
def app_on(data: Path, **settings: str) -> Iterator[AppURL]:
    """The product on ``settings``, its data and logs in ``data``, the scheduler and the
    dashboard every 2 s; yields its address."""
    every_two_seconds = {"STOCKMON_REFRESH_SECONDS": "2", "STOCKMON_DASHBOARD_REFRESH_SECONDS": "2"}
    environment = {"STOCKMON_DATA_DIR": str(data), **every_two_seconds, **settings}
    with serving(environment, data / "logs") as address:
        url = AppURL(address)
        url.data_dir = str(data)
        yield url


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[AppURL]:
    with app_on(
        tmp_path_factory.mktemp("browser"),
        STOCKMON_PROVIDER="demo",
        STOCKMON_NOTIFY_ALLOW_PRIVATE="true",  # the webhook is on 127.0.0.1
    ) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def patient_expectations():
    """A loaded CI machine can take more than Playwright's default 5 s to rerun a page."""
    expect = pytest.importorskip("playwright.sync_api").expect
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


def box_of(locator, seconds: float = 30) -> dict[str, float]:
    """Where ``locator`` is drawn, once it is: a refresh that redraws it leaves it without a
    box for a moment."""
    deadline = time.monotonic() + seconds
    while (box := locator.bounding_box()) is None:
        assert time.monotonic() < deadline, f"{locator} was never drawn"
        locator.page.wait_for_timeout(100)
    return box


def wait_until_idle(page) -> None:
    """Wait for the page's script run to end, so what follows meets the page fully drawn
    (``test_a_fresh_page_runs_once...`` logs in without waiting)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def submit_login(page, username: str, password: str, wait: bool = True) -> None:
    """Fill in and send the login form of a freshly loaded page, once its run has ended
    (``wait=False``: as soon as the form is there)."""
    if wait:
        wait_until_idle(page)
    page.get_by_role("textbox", name="Username", exact=True).fill(username)
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def add_account(
    app_url: AppURL,
    username: str,
    password: str,
    picks: Sequence[str] = (),
    more_lists: Sequence[str] = (),
) -> None:
    """An account with ``picks`` (and empty lists named ``more_lists``) in the app's database,
    migrated first if the app has not yet got to it."""
    engine = make_engine(f"sqlite:///{Path(app_url.data_dir) / 'stockmon.db'}")
    prepare_database(engine)
    account = accounts.create_user(
        engine, username, username.title(), f"{username}@example.com", password
    )
    save_picks(engine, account.id, list(picks))
    for name in more_lists:
        create_list(engine, account.id, name)
    engine.dispose()


def register(page, username: str, name: str, email: str, password: str) -> None:
    """Create an account on the login page, as a person would."""
    from playwright.sync_api import expect

    wait_until_idle(page)
    page.get_by_text("Create account", exact=True).click()
    expect(page.get_by_role("heading", name="Create account")).to_be_visible()
    fields = {
        "Username": username,
        "Name": name,
        "Email": email,
        "Password": password,
        "Repeat password": password,
    }
    for label, value in fields.items():
        page.get_by_role("textbox", name=label, exact=True).fill(value)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Your account is ready")).to_be_visible()


def test_register_pick_watch_reload_logout(app_url, browser, webhook):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(app_url)

    register(page, "ann", "Ann Lee", "ann@example.com", "sup3rsecret")
    shoot(page, "login")

    # a wrong password first, then the right one
    submit_login(page, "ann", "wrong-password")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    page.get_by_role("textbox", name="Password", exact=True).fill("sup3rsecret")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("not picked any stocks")).to_be_visible()

    # pick three stocks
    page.get_by_role("link", name="Stock Picker").click()
    picker = page.get_by_role("combobox").first
    picker.click()
    page.keyboard.type("T")  # an exact symbol ranks before names that merely contain it
    expect(page.get_by_role("option").first).to_have_text("T · AT&T Inc.")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.press("Escape")
    for symbol, label in PICKS.items():
        picker.click()
        page.keyboard.type(symbol)
        page.get_by_role("option", name=label, exact=True).click()
        expect(page.get_by_test_id("stToast").last).to_contain_text("Saved")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("stToast").last).to_contain_text("Saved 3 symbols on My stocks.")
    shoot(page, "picker")

    # the dashboard shows them with prices, and prices move without a reload
    page.get_by_role("link", name="Dashboard", exact=True).click()
    ticker = page.locator(".stockmon-ticker").first
    for symbol in PICKS:
        expect(ticker).to_contain_text(re.compile(rf"{symbol} [\d,]+\.\d\d"), timeout=30_000)
    expect(page.get_by_text(re.compile("Best mover"))).to_be_visible()
    page.evaluate("window.stockmonMarker = 'same page'")
    first = ticker.inner_text()
    deadline = time.monotonic() + 30
    while ticker.inner_text() == first and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert ticker.inner_text() != first, "prices did not change on screen"
    assert page.evaluate("window.stockmonMarker") == "same page"
    page.wait_for_timeout(2500)
    shoot(page, "dashboard")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    exported = Path(download.value.path()).read_text()
    assert exported.startswith(
        "Symbol,Price,Change %,Currency,Change,Day range,52-week range,Company"
    )
    assert all(f"\n{symbol}," in exported for symbol in PICKS)

    # an alert created on the Alerts page fires on the market's next quote, is toasted and
    # reaches the person's webhook
    page.get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Your rules")).to_be_visible()
    page.get_by_label("Notification URL").fill(webhook.json_url().replace("//", "//me:s3cret@"))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(
        page.get_by_text(re.compile(r"Added json://127\.0\.0\.1:\d+ · #[0-9a-f]{6}"))
    ).to_be_visible()
    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_text("Test notification sent.")).to_be_visible()
    assert webhook.received[0]["title"] == "stockmon test"
    expect(page.get_by_text("s3cret")).to_have_count(0)
    threshold = page.get_by_role("spinbutton", name="Threshold")
    threshold.fill("1")
    page.get_by_role("textbox", name="Note (optional)").fill("<b>bold?</b>")
    page.get_by_role("button", name="Create alert").click()
    created = page.get_by_text(re.compile(r"Alert created: \w+ price above 1\.00"))
    expect(created).to_be_visible()
    symbol = re.search(r"Alert created: (\w+)", created.inner_text()).group(1)
    page.wait_for_timeout(1500)
    shoot(page, "alerts")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    toast = page.get_by_test_id("stToast").first
    expect(toast).to_contain_text("price above 1.00", timeout=30_000)
    expect(toast).to_contain_text("<b>bold?</b>")  # the note as text, never as markup
    expect(page.get_by_role("link", name=re.compile(r"1 new alert"))).to_be_visible(timeout=30_000)
    deadline = time.monotonic() + 30
    while len(webhook.received) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert [m["title"] for m in webhook.received][1:] == [f"stockmon: {symbol} price above 1.00"]

    page.get_by_role("link", name="Charts").click()
    expect(page.get_by_role("tab", name="Compared", selected=True)).to_be_visible()
    expect(page.locator(TIME_CHART)).to_have_count(1)  # one chart until another view is asked for
    page.wait_for_timeout(1500)
    shoot(page, "charts")
    # a year of daily history, fetched by the scheduler for every pick
    page.get_by_role("radio", name="1 year", exact=True).click()
    expect(page).to_have_url(re.compile(r"range=1(\+|%20)year"))
    expect(page.get_by_text("Daily history for")).to_have_count(0, timeout=60_000)
    page.get_by_role("tab", name="Prices").click()
    expect(page).to_have_url(re.compile(r"view=Prices"))
    page.get_by_text("Candlesticks", exact=True).click()
    expect(page).to_have_url(re.compile(r"candles=true"))
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    page.wait_for_timeout(1500)
    shoot(page, "charts-year")

    # a second list, opened by its own link
    page.get_by_role("link", name="Stock Picker").click()
    page.get_by_role("button", name="Manage lists").click()
    page.get_by_role("textbox", name="New list").fill("Income")
    page.get_by_role("button", name="Create list").click()
    expect(page.get_by_test_id("stToast").last).to_contain_text("Created Income.")
    page.keyboard.press("Escape")
    # the picker shows the new, empty list once the page has switched to it: only then is
    # what is typed into it not lost to a redraw
    picks = page.get_by_test_id("stMultiSelect").first
    expect(picks).not_to_contain_text("AAPL", timeout=30_000)
    wait_until_idle(page)
    picker = page.get_by_role("combobox").first
    picker.click()
    page.keyboard.type("KO")
    option = page.get_by_role("option", name="KO · The Coca-Cola Company", exact=True)
    expect(option).to_have_attribute("data-focused", "true")
    page.keyboard.press("Enter")  # the keyboard: a rerun may redraw the option under a click
    expect(page.get_by_test_id("stToast").last).to_contain_text("Saved 1 symbol on Income.")
    page.keyboard.press("Escape")

    # a listing beyond the catalog, found by the scheduler, added to the list
    page.get_by_text("Not in the list? Search every listing").click()
    page.get_by_role("textbox", name="Symbol or company").fill("tesco")
    page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Search").click()
    expect(page.get_by_text("TSCO.LON", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"Tesco PLC · United Kingdom · GBX"))).to_be_visible()
    page.wait_for_timeout(500)
    shoot(page, "search")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_test_id("stToast").last).to_contain_text("Saved 2 symbols on Income.")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_role("radio", name="Income", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]list=Income"))
    expect(ticker).to_contain_text(re.compile(r"KO [\d,]+\.\d\d"), timeout=30_000)
    expect(ticker).to_contain_text(re.compile(r"TSCO\.LON [\d,]+\.\d\d"), timeout=30_000)
    expect(ticker).not_to_contain_text("AAPL")
    page.goto(page.url)  # the link alone opens the same list
    expect(page.get_by_text("@ann")).to_be_visible()
    expect(page.locator(".stockmon-ticker").first).to_contain_text("KO", timeout=30_000)
    expect(page.locator(".stockmon-ticker").first).not_to_contain_text("AAPL")

    # a position, valued on its page and on the dashboard
    page.get_by_role("link", name="Positions").click()
    expect(page.get_by_text("No lots yet")).to_be_visible()
    page.get_by_test_id("stSelectbox").first.click()
    page.keyboard.type("KO")
    page.get_by_role("option", name="KO · The Coca-Cola Company · USD", exact=True).click()
    page.get_by_role("spinbutton", name="Quantity").fill("10")
    page.get_by_role("spinbutton", name="Price paid per share").fill("60")
    page.get_by_role("spinbutton", name="Fees").fill("4.5")
    page.get_by_role("button", name="Add lot").click()
    expect(page.get_by_test_id("stToast").last).to_contain_text("Added 10 KO.")
    expect(page.get_by_text("Market value · USD")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Total gain [+-][\d,]+\.\d\d .* on 604\.50 paid"))
    ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download positions CSV").click()
    exported = Path(download.value.path()).read_text()
    assert exported.startswith("symbol,currency,quantity,cost,price,market_value,day_gain")
    assert "\nKO,USD,10.0,604.5," in exported

    # a sale, first in, first out, and a broker's file previewed before anything is stored
    page.get_by_role("tab", name="Record a sale").click()
    sale = page.get_by_test_id("stForm").filter(has_text="Sold on")
    sale.get_by_test_id("stSelectbox").click()
    page.keyboard.type("KO")
    page.get_by_role("option", name="KO · The Coca-Cola Company · USD", exact=True).click()
    sale.get_by_role("spinbutton", name="Quantity").fill("4")
    sale.get_by_role("spinbutton", name="Price received per share").fill("70")
    sale.get_by_role("button", name="Record sale").click()
    expect(page.get_by_test_id("stToast").last).to_contain_text("Recorded the sale of 4 KO.")
    expect(page.get_by_text(re.compile(r"realised \+38\.20"))).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Import a CSV").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "broker.csv", "mimeType": "text/csv", "buffer": BROKER_CSV}]
    )
    expect(page.get_by_text("1 of 2 rows are refused")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    shoot(page, "positions")

    # the status page: what the scheduler published
    page.get_by_role("link", name="Status").click()
    expect(page.get_by_role("heading", name="Status", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Demo market · prices simulated")).first).to_be_visible()
    expect(page.get_by_text("Last cycle", exact=True)).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"All \d+ tracked symbols refreshed once more"))
    ).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    shoot(page, "status")

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    shoot(page, "account")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # a reload keeps the person logged in
    page.reload()
    expect(page.get_by_text("@ann")).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()

    # log out; a reload keeps them logged out
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    deadline = time.monotonic() + 15
    while any(c["name"] == "stockmon_auth" for c in context.cookies()):
        assert time.monotonic() < deadline, "logout did not clear the login cookie"
        page.wait_for_timeout(250)
    page.reload()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.wait_for_timeout(2000)
    expect(page.get_by_text("@ann")).to_have_count(0)
    assert all(cookie["name"] != "stockmon_auth" for cookie in context.cookies())
    context.close()


# Chromium's own notices about the attributes of Streamlit's component iframes (the login
# cookie's), not the app's: every other console warning or error fails the test.
BROWSER_NOTICES = re.compile(r"Unrecognized feature: '|allow-scripts and allow-same-origin")
PHONE_PICKS = ["AAPL", "NVDA", "TSLA", "MSFT", "AMZN", "GOOGL", "META", "NFLX"]


def test_every_page_at_phone_width(app_url, browser):
    """Every page at 390 x 844: the ticker shows every pick within one loop, the watchlist's
    key columns fit without sideways scrolling, choosing a page closes the navigation, no
    request leaves for another host (a hostile list name included) and the console stays
    quiet."""
    from playwright.sync_api import expect

    # a list name that markdown would draw as an image fetched from another host
    add_account(app_url, "pat", "pat-s3cret", PHONE_PICKS, ["![p](http://attacker.invalid/l.png)"])

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    foreign, console = [], []
    own = (app_url, f"blob:{app_url}")  # a blob: the chart component's script, made in the page
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(own) else None)
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.goto(app_url)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    shoot(page, "login-phone")
    submit_login(page, "pat", "pat-s3cret")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # the ticker brings every pick into view within one loop of its animation (sampled in the
    # page itself, so a slow test machine cannot miss a pick between samples)
    expect(page.locator(".stockmon-ticker").first).to_contain_text("NFLX", timeout=30_000)
    page.mouse.move(5, 840)  # no hover over the ticker: it would pause
    seen = page.evaluate(
        """wanted => new Promise(resolve => {
            const track = document.querySelector(".stockmon-track");
            const loop = parseFloat(getComputedStyle(track).animationDuration) * 1000;
            const seen = new Set();
            const started = performance.now();
            const timer = setInterval(() => {
                const ticker = document.querySelector(".stockmon-ticker").getBoundingClientRect();
                for (const tick of document.querySelectorAll(".stockmon-tick")) {
                    const r = tick.getBoundingClientRect();
                    if (r.left >= ticker.left && r.right <= ticker.right) {
                        seen.add(tick.innerText.split(" ")[0]);
                    }
                }
                if (seen.size >= wanted || performance.now() - started > loop + 5000) {
                    clearInterval(timer);
                    resolve([...seen]);
                }
            }, 50);
        })""",
        len(PHONE_PICKS),
    )
    assert set(seen) == set(PHONE_PICKS), f"never fully in view: {set(PHONE_PICKS) - set(seen)}"

    # symbol, price and change % of the watchlist come first and fit on the screen, above
    # the fold (the grid renders header cells for the columns in view only)
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    where = table.bounding_box()
    assert where["x"] >= 0 and where["x"] + where["width"] <= 390 and where["y"] < 600
    headers = table.locator('th[role="columnheader"]').all_inner_texts()
    assert headers[:3] == ["Symbol", "Price", "Change %"], headers
    page.wait_for_timeout(1000)
    shoot(page, "dashboard-phone")

    # choosing a page closes the navigation drawer
    for label, heading, shot in (
        ("Stock Picker", "Stock Picker", "picker-phone"),
        ("Charts", "Charts", "charts-phone"),
        ("Positions", "Positions", "positions-phone"),
        ("Alerts", "Alerts", "alerts-phone"),
        ("Status", "Status", "status-phone"),
        ("Account", "Account", "account-phone"),
    ):
        page.get_by_test_id("stExpandSidebarButton").click()
        link = page.get_by_role("link", name=label)
        expect(link).to_be_in_viewport()
        link.click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(link).not_to_be_in_viewport()
        page.wait_for_timeout(1500)
        shoot(page, shot)

    assert foreign == [], f"requests left for other hosts: {foreign}"
    noisy = [
        m for m in console if m.startswith(("warning", "error")) and not BROWSER_NOTICES.search(m)
    ]
    assert noisy == [], noisy
    context.close()


def runs_asked(page) -> Counter:
    """A live count of the runs ``page`` asks the server for as its WebSocket sends them:
    "page" for a whole-page run, "fragment" for a fragment's own refresh."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    asked = Counter()

    def on_frame(payload) -> None:
        message = BackMsg.FromString(payload) if isinstance(payload, bytes) else None
        if message and message.WhichOneof("type") == "rerun_script":
            asked["fragment" if message.rerun_script.fragment_id else "page"] += 1

    page.on("websocket", lambda socket: socket.on("framesent", on_frame))
    return asked


def test_a_fresh_page_runs_once_so_a_login_sent_at_once_is_answered(app_url, browser):
    """Nothing on a freshly loaded page asks the server for a second run (a component that
    reports back as it mounts would, and a login sent around that rerun could go unanswered):
    a person who logs in the moment the form appears gets the dashboard, and a reload that
    logs in from the cookie runs the page once, its live parts refreshing on their own."""
    from playwright.sync_api import expect

    add_account(app_url, "quinn", "quinn-s3cret")
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    asked = runs_asked(page)

    page.goto(app_url)
    submit_login(page, "quinn", "quinn-s3cret", wait=False)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    for reload in range(2):
        asked.clear()
        page.reload()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        wait_until_idle(page)
        deadline = time.monotonic() + 60
        while asked["fragment"] < 2:  # the page is live: everything on it has mounted
            assert time.monotonic() < deadline, f"reload {reload}: no refresh in 60 s: {asked}"
            page.wait_for_timeout(100)
        assert asked["page"] == 1, f"reload {reload}: {asked}"
        assert page.locator("iframe").count() == 0
    context.close()


def test_every_download_click_gets_its_file_while_the_page_refreshes(app_url, browser):
    """2 clicks in 18 once failed ("Deferred file … not found"): the refreshing part replaced
    the file between drawing the button and the click. Every click here lands at another
    moment of the 2-second refresh."""
    add_account(app_url, "dora", "dora-s3cret", ["AAPL", "MSFT"])
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(app_url)
    submit_login(page, "dora", "dora-s3cret")
    ticker = page.get_by_role("marquee", name="Ticker")
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(ticker).to_contain_text("MSFT", timeout=30_000)

    # the new-alert popover stays open as a symbol is chosen, its threshold at that price
    page.get_by_role("button", name="New alert").click()
    popover = page.get_by_test_id("stPopoverBody")
    popover.get_by_role("combobox").first.click()
    page.get_by_role("option", name="MSFT").click()
    page.wait_for_timeout(1500)
    expect(popover).to_be_visible()
    expect(popover.get_by_role("spinbutton", name="Threshold")).to_have_value(
        re.compile(r"^\d+\.\d\d$")
    )
    page.keyboard.press("Escape")

    for click in range(12):
        with page.expect_download(timeout=20_000) as download:
            page.get_by_role("button", name="Download CSV").click()
        exported = Path(download.value.path()).read_text()
        assert exported.startswith("Symbol,Price,"), f"click {click}: {exported[:200]!r}"
        assert "\nAAPL," in exported and "\nMSFT," in exported, f"click {click}"
        page.wait_for_timeout(230 * (click % 5))  # clicks spread over the refresh period
    page.get_by_role("link", name="Charts").click()
    for click in range(4):
        with page.expect_download(timeout=20_000) as download:
            page.get_by_role("button", name="Download prices (CSV)").click()
        assert Path(download.value.path()).read_text().startswith("symbol,"), f"click {click}"
        page.wait_for_timeout(700)
    context.close()
    app_log = (Path(app_url.data_dir) / "logs" / "app.log").read_text()
    assert "not found" not in app_log


@pytest.mark.parametrize(("size", "viewport"), [("desktop", (1440, 900)), ("phone", (390, 844))])
def test_a_stock_opens_on_its_own_page_from_the_ticker_and_from_its_row(
    app_url, browser, size, viewport
):
    """A click on a ticker item, and on a dashboard row's box, opens that stock's page: its
    price, its ranges and its chart."""
    from playwright.sync_api import expect

    width, height = viewport
    username = f"sym{size}"
    add_account(app_url, username, "sym-s3cret", ["AAPL", "MSFT", "NVDA"])
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(20_000)
    page.goto(app_url)
    submit_login(page, username, "sym-s3cret")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    tick = page.locator(".stockmon-tick", has_text="NVDA").first
    expect(tick).to_be_attached(timeout=30_000)
    tick.evaluate("link => link.click()")  # it scrolls by: clicked where it is
    expect(page.get_by_role("heading", name="NVDA · NVIDIA Corporation")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Day's range: [\d,.]+ to [\d,.]+$"))).to_be_visible()
    expect(page.locator(TIME_CHART).first).to_be_visible(timeout=30_000)
    # the demo market reports every quarter: its next report is within three months
    expect(
        page.get_by_text(re.compile(r"Earnings (today|tomorrow|\w{3} \d{1,2} \w{3})"))
    ).to_be_visible(timeout=30_000)
    wait_until_idle(page)
    shoot(page, f"symbol-{size}")

    page.goto(app_url)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    wait_until_idle(page)
    grid.scroll_into_view_if_needed()
    box = box_of(grid)
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 + 17)  # the second row's box: MSFT
    expect(page.get_by_role("heading", name="MSFT · Microsoft Corporation")).to_be_visible(
        timeout=30_000
    )
    assert page.url.endswith("/symbol?symbol=MSFT")


def test_the_dashboard_table_fits_1440_px_and_keeps_its_sort_across_refreshes(app_url, browser):
    """The default columns need no sideways scrolling beside the menu at 1440 px; a sort by a
    header stays through the 2-second refreshes, and a row's box opens the stock it shows."""
    from playwright.sync_api import expect

    add_account(app_url, "sorter", "sort-s3cret", ["AAPL", "MSFT", "NVDA"])
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    page.goto(app_url)
    submit_login(page, "sorter", "sort-s3cret")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    expect(page.locator(".stockmon-ticker").first).to_contain_text("NVDA", timeout=30_000)
    wait_until_idle(page)
    scroller = grid.locator(".dvn-scroller").first
    widths = scroller.evaluate("s => [s.scrollWidth, s.clientWidth]")
    assert widths[0] <= widths[1], f"the table scrolls sideways: {widths}"

    grid.scroll_into_view_if_needed()
    box = box_of(grid)
    header = (box["x"] + 75, box["y"] + 17)
    page.mouse.move(*header)  # the Symbol header: hovered, then clicked, opens its menu
    page.wait_for_timeout(500)
    page.mouse.click(*header)
    page.get_by_text("Sort descending").click()  # NVDA, MSFT, AAPL
    page.wait_for_timeout(4_500)  # two refreshes of the table
    shoot(page, "dashboard-sorted")
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's box
    expect(page.get_by_role("heading", name="NVDA · NVIDIA Corporation")).to_be_visible(
        timeout=30_000
    )


TICKER_STATE = """() => {
    const ticker = document.querySelector(".stockmon-ticker");
    const track = ticker.querySelector(".stockmon-track");
    const box = ticker.getBoundingClientRect();
    const shown = [...ticker.querySelectorAll(".stockmon-tick")]
        .filter(tick => {
            const r = tick.getBoundingClientRect();
            return r.right > box.left && r.left < box.right;
        })
        .map(tick => tick.innerText.split(" ")[0]);
    return {shown, left: track.getBoundingClientRect().left, track: track.outerHTML.length};
}"""


def test_the_ticker_shows_each_stock_once_and_holds_still_under_the_mouse(app_url, browser):
    """A short list is not drawn twice in view; a ticker paused under the mouse stays where
    it is through the refreshes that draw it anew (every 2 s here)."""
    from playwright.sync_api import expect

    add_account(app_url, "ticker", "tick-s3cret", ["AAPL", "MSFT"])
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    page.goto(app_url)
    submit_login(page, "ticker", "tick-s3cret")
    ticker = page.locator(".stockmon-ticker").first
    expect(ticker).to_contain_text("MSFT", timeout=30_000)
    page.mouse.move(5, 890)
    for _ in range(10):  # over a few seconds of scrolling, no stock is in view twice
        shown = page.evaluate(TICKER_STATE)["shown"]
        assert len(shown) == len(set(shown)), f"a stock shown twice: {shown}"
        page.wait_for_timeout(300)

    box = box_of(ticker)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    paused = page.evaluate(TICKER_STATE)["left"]
    for _ in range(2):  # two refreshes draw the ticker anew
        page.evaluate("() => { document.querySelector('.stockmon-track').dataset.seen = '1'; }")
        page.wait_for_function(
            "() => document.querySelector('.stockmon-track:not([data-seen])') !== null",
            timeout=30_000,
        )
    page.wait_for_timeout(300)
    still = page.evaluate(TICKER_STATE)["left"]
    assert abs(still - paused) < 3, f"the paused ticker moved {still - paused:.0f} px"
    page.mouse.move(5, 890)
    page.wait_for_timeout(1_000)
    assert page.evaluate(TICKER_STATE)["left"] != still  # it scrolls on once the mouse leaves
