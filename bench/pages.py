"""Each page's first load in Chromium, against a bare Streamlit page on the same machine.

The product runs on the demo market and SQLite (app and scheduler), with one person watching
10 stocks, two lots and an alert. A bare Streamlit app (a title and a 10-row dataframe) runs
beside it. For every page, and for the bare page, a new tab of one logged-in browser opens the
address and the clock stops when the page's first run has ended and what it draws is there:
the bare page's title and its table, Charts' and a stock's page's first chart, the other pages'
heading. A table and a chart are elements Streamlit's page loads when it first draws one, so
both wait the same way; the clock is the page's own, from the navigation's start, read at every
frame (a Playwright locator's wait polls at growing intervals, up to half a second, which would
blur the figures). The pages and the bare page are
measured in turns, ROUNDS times, and each page's median is divided by the bare page's median
from the same rounds. Target: Charts <= 1.5x the bare page.

    .venv/bin/python -m bench.pages [ROUNDS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from stockmon.domain import accounts
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.catalog import load_catalog
from stockmon.domain.db import make_engine
from stockmon.domain.positions import add_lot
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import save_picks
from tests.conftest import subprocess_environment
from tests.running import free_port, running_product, wait_healthy
from tests.test_browser import CHROMIUM, TIME_CHART, submit_login

ROUNDS = 7
TARGET = 1.5
PICKS = [entry.symbol for entry in load_catalog()[:10]]
PASSWORD = "bench-pages-1"
BARE_APP = """import pandas as pd
import streamlit as st

st.title("A bare page")
st.dataframe(pd.DataFrame({"symbol": list("ABCDEFGHIJ"), "price": range(10)}))
"""
# (page, address, its heading, the element whose drawing ends its load)
PAGES = [
    ("Dashboard", "", "Dashboard", None),
    ("Stock Picker", "picker", "Stock Picker", None),
    ("Charts", "charts", "Charts", "chart"),
    ("Positions", "positions", "Positions", None),
    ("Alerts", "alerts", "Alerts", None),
    ("Status", "status", "Status", None),
    ("Account", "account", "Account", None),
    ("A stock's page", f"symbol?symbol={PICKS[0]}", None, "chart"),
]
BARE_PAGE = ("bare", "", "A bare page", "table")


def person(url: str) -> None:
    engine = make_engine(url)
    prepare_database(engine)
    account = accounts.create_user(engine, "pages", "Pages", "pages@example.com", PASSWORD)
    save_picks(engine, account.id, PICKS)
    add_lot(engine, account.id, PICKS[0], date(2025, 1, 10), 10, 100.0)
    add_lot(engine, account.id, PICKS[1], date(2025, 3, 3), 5, 200.0)
    create_rule(engine, account.id, PICKS[0], "above", 1_000_000.0)
    engine.dispose()


@contextmanager
def bare_app(folder: Path):
    """The bare Streamlit page, served on a free port; its address."""
    script = folder / "bare.py"
    script.write_text(BARE_APP)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(folder / "bare.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless=true",
             "--server.address=127.0.0.1", f"--server.port={port}",
             "--browser.gatherUsageStats=false"],
            env=subprocess_environment(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_healthy(url, process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


# The page's clock [when its first run had ended with its heading, when its content was drawn
# too] once both hold, else false
DRAWN_AT = """([heading, content, chart]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const drawn = {
        chart: () => [...document.querySelectorAll("*")].some(
            (host) => host.shadowRoot?.querySelector(chart)),
        table: () => document.querySelector('[data-testid="stDataFrame"] canvas') !== null,
    };
    const titled = heading === null
        || [...document.querySelectorAll("h1")].some((h1) => h1.textContent.trim() === heading);
    const ended = app?.getAttribute("data-test-script-state") === "notRunning";
    if (!(ended && titled)) return false;
    window.benchTitledAt ??= performance.now() / 1000;
    return content === null || drawn[content]()
        ? [window.benchTitledAt, performance.now() / 1000] : false;
}"""


def first_load(
    page: Page, url: str, heading: str | None, content: str | None
) -> tuple[float, float]:
    """Seconds from the navigation to ``url`` to its first run ended with its ``heading``
    drawn, and to its ``content`` (``chart``, ``table`` or None) drawn too."""
    page.goto(url)
    loaded = page.wait_for_function(
        DRAWN_AT, arg=[heading, content, TIME_CHART], polling="raf", timeout=60_000
    )
    titled, drawn = loaded.json_value()
    return titled, drawn


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        url = f"sqlite:///{folder / 'bench.db'}"
        person(url)
        settings = {
            "STOCKMON_DATABASE_URL": url,
            "STOCKMON_DATA_DIR": str(folder),
            "STOCKMON_PROVIDER": "demo",
        }
        with (
            running_product(settings, folder / "logs") as product,
            bare_app(folder) as bare,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu",
                      "--disable-background-networking"],
            )  # fmt: skip
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            login = context.new_page()
            login.goto(product.url)
            submit_login(login, "pages", PASSWORD)
            login.get_by_role("heading", name="Dashboard").wait_for(timeout=60_000)
            time.sleep(10)  # the scheduler's first quotes and the demo's daily history
            login.close()
            times: dict[str, list[float]] = {name: [] for name, *_ in [BARE_PAGE, *PAGES]}
            bare_titled: list[float] = []
            for _round in range(rounds + 1):  # the first round warms both servers up
                for name, path, heading, content in [BARE_PAGE, *PAGES]:
                    tab = context.new_page()
                    address = bare if name == "bare" else f"{product.url}/{path}"
                    titled, loaded = first_load(tab, address, heading, content)
                    tab.close()
                    if _round:
                        times[name].append(loaded)
                        if name == "bare":
                            bare_titled.append(titled)
            browser.close()
    bare_median = statistics.median(times.pop("bare"))
    title_median = statistics.median(bare_titled)
    charts_median = statistics.median(times["Charts"])
    print(
        f"first load in Chromium, median of {rounds} rounds; bare page {bare_median:.2f} s "
        f"(its title alone {title_median:.2f} s, Charts {charts_median / title_median:.2f}x that)"
    )
    for name, measured in times.items():
        ratio = statistics.median(measured) / bare_median
        target = f" (target <= {TARGET})" if name == "Charts" else ""
        print(
            f"{name:>15}: {statistics.median(measured):.2f} s = {ratio:.2f}x the bare page{target}"
        )


if __name__ == "__main__":
    main()
