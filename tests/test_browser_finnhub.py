"""A free Finnhub key's product in Chromium (against a fake Finnhub REST API and trade stream on
127.0.0.1): real-time labels, a listing outside the plan saying why, a streamed trade reaching
the dashboard within a refresh, and the stream on the Status page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_finnhub import FakeFinnhub, serve_finnhub
from tests.test_browser import (  # noqa: F401 (fixtures)
    CHROMIUM,
    AppURL,
    add_account,
    app_on,
    browser,
    patient_expectations,
    shoot,
    submit_login,
)
from tests.test_browser_real_quotes import rows_in_view

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser test needs Chromium at {CHROMIUM} (apt-get install chromium)",
)
PICKS = ["AAPL", "NVDA", "MSFT"]


@pytest.fixture(scope="module")
def finnhub() -> Iterator[FakeFinnhub]:
    fake = FakeFinnhub(prices={"AAPL": 261.74, "MSFT": 480.25}, script={"NVDA": "forbidden"})
    fake.market_time = time.time() - 60  # the quotes' last trade: a minute before the test
    with serve_finnhub(fake) as served:
        yield served


@pytest.fixture(scope="module")
def finnhub_app(tmp_path_factory, finnhub) -> Iterator[AppURL]:
    with app_on(
        tmp_path_factory.mktemp("finnhub"),
        STOCKMON_MARKET_HOURS="false",  # the test runs at any hour
        FINNHUB_API_KEY=finnhub.api_key,
        FINNHUB_BASE_URL=finnhub.url,
        FINNHUB_WS_URL=finnhub.stream.url,
    ) as url:
        yield url


def test_real_time_prices_a_streamed_trade_and_the_stream_on_the_status_page(
    finnhub_app,
    finnhub,
    browser,  # noqa: F811
):
    from playwright.sync_api import expect

    add_account(finnhub_app, "finn", "finn-s3cret", PICKS)
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.goto(finnhub_app)
    submit_login(page, "finn", "finn-s3cret")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    expect(page.get_by_text("Finnhub free plan: real-time prices").first).to_be_visible(
        timeout=60_000
    )
    expect(table).to_contain_text("261.74", timeout=60_000)
    rows = rows_in_view(page)
    assert rows["NVDA"][1] != "", rows

    stream = finnhub.stream
    assert stream.wait_for(lambda: {"AAPL", "MSFT"} <= stream.subscribed(), 60)
    # MSFT's polls say 480.25 as of a minute ago: only the stream says 482.50, and later
    stream.trade("MSFT", 482.5)
    expect(table).to_contain_text("482.50", timeout=30_000)  # a 2 s refresh, a loaded machine
    page.mouse.move(5, 895)
    page.wait_for_timeout(1000)
    shoot(page, "dashboard-finnhub-desktop")

    page.goto(f"{finnhub_app}/status")
    expect(page.get_by_text("Trade stream connected since")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Finnhub free plan").first).to_be_visible()
    symbols = page.get_by_test_id("stDataFrame").last  # the grid's cells are on a canvas
    expect(symbols).to_contain_text("rejected: not on this plan")
    page.wait_for_timeout(1000)
    shoot(page, "status-finnhub-desktop")
    page.context.close()
