"""A free Alpha Vantage key's dashboard in Chromium (the product against a fake Alpha Vantage
on 127.0.0.1): a rejected pick says why in the first columns at 1440 x 900 and at 390 x 844,
and no cell reads "None"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_alphavantage import FakeAlphaVantage, serve
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

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser test needs Chromium at {CHROMIUM} (apt-get install chromium)",
)
PICKS = ["AAPL", "NVDA", "MSFT"]


@pytest.fixture(scope="module")
def free_key_app(tmp_path_factory) -> Iterator[AppURL]:
    """The product on a free key: NVDA unknown to the provider, the others quoted."""
    with (
        serve(FakeAlphaVantage(script={"NVDA": "empty"})) as fake,
        app_on(
            tmp_path_factory.mktemp("free-key"),
            ALPHA_VANTAGE_API_KEY=fake.api_key,
            ALPHA_VANTAGE_BASE_URL=fake.url,
            ALPHA_VANTAGE_MIN_REQUEST_INTERVAL="0",
        ) as url,
    ):
        yield url


def rows_in_view(page) -> dict[str, list[str]]:
    """The table's rows as its grid lays them out for assistive technology: only the cells
    in view, by symbol."""
    cells = page.get_by_test_id("stDataFrame").first.locator('tr:has(td[role="gridcell"])')
    rows = {}
    for row in cells.all():
        texts = [text.strip() for text in row.locator("td").all_inner_texts()]
        if texts:
            rows[texts[0]] = texts
    return rows


@pytest.mark.parametrize(("width", "height", "name"), [(1440, 900, "desktop"), (390, 844, "phone")])
def test_a_rejected_pick_says_why_in_the_first_columns(
    free_key_app,
    browser,  # noqa: F811 (the fixture)
    width,
    height,
    name,
):
    from playwright.sync_api import expect

    username = f"free{width}"
    add_account(free_key_app, username, "free-s3cret", PICKS)
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 640
    )
    page = context.new_page()
    page.goto(free_key_app)
    submit_login(page, username, "free-s3cret")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    expect(page.get_by_text("Alpha Vantage free plan: end-of-day prices")).to_be_visible(
        timeout=60_000
    )
    expect(table).to_contain_text("NVDA")
    # the grid draws on a canvas; its accessible table holds the cells in view, by value
    expect(table).to_contain_text("112.13")
    headers = table.locator('th[role="columnheader"]').all_inner_texts()
    assert headers[:2] == ["Symbol", "Price"], headers
    rows = rows_in_view(page)
    assert set(rows) == set(PICKS), rows
    assert rows["AAPL"][1] == "112.13", rows
    assert rows["NVDA"][1] != "", rows  # a value the styler writes the reason over, not None
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    page.mouse.move(5, height - 5)
    page.wait_for_timeout(1000)
    shoot(page, f"dashboard-free-key-{name}")
    page.goto(f"{free_key_app}/status")
    expect(page.get_by_text("The provider rejects 1 of 3 tracked symbols")).to_be_visible()
    expect(page.get_by_text("Alpha Vantage free plan").first).to_be_visible()
    page.wait_for_timeout(1000)
    shoot(page, f"status-free-key-{name}")
    context.close()
