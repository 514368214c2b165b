"""Single-process hosting: with ``STOCKMON_EMBEDDED_SCHEDULER=1`` and no scheduler process, the
app runs the refresh jobs in one background thread per server process, never one per browser
session, taking the same lease as a separate scheduler."""

import time
from pathlib import Path

import pytest

from stockmon.app.heartbeat import scheduler_status
from stockmon.domain import accounts
from stockmon.domain.db import make_engine
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import save_picks
from tests.running import running_product
from tests.test_browser import (  # noqa: F401 (patient_expectations: a fixture)
    CHROMIUM,
    patient_expectations,
    submit_login,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"the embedded scheduler test needs Chromium at {CHROMIUM}",
)


def log_in(browser, address: str, username: str, password: str):
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(30_000)
    page.goto(address)
    submit_login(page, username, password)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return page


def test_one_refresh_thread_whatever_the_sessions(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url = f"sqlite:///{tmp_path / 'stockmon.db'}"
    engine = make_engine(url)
    prepare_database(engine)
    for name in ("ann", "bob", "cat"):
        person = accounts.create_user(
            engine, name, name.title(), f"{name}@example.com", "pa55word!"
        )
        save_picks(engine, person.id, ["AAPL", "KO"])
    settings = {
        "STOCKMON_DATABASE_URL": url,
        "STOCKMON_DATA_DIR": str(tmp_path),
        "STOCKMON_PROVIDER": "demo",
        "STOCKMON_REFRESH_SECONDS": "2",
        "STOCKMON_EMBEDDED_SCHEDULER": "1",
        "STOCKMON_APP_LOG_LEVEL": "INFO",
    }
    with (
        running_product(settings, tmp_path / "logs", scheduler=False) as product,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        pages = [log_in(browser, product.url, name, "pa55word!") for name in ("ann", "bob", "cat")]
        for page in pages:  # quotes arrive with no scheduler process at all
            ticker = page.locator(".stockmon-ticker").first
            expect(ticker).to_contain_text("AAPL", timeout=60_000)
        first = scheduler_status(engine).last_cycle_at
        deadline = time.monotonic() + 30
        while scheduler_status(engine).last_cycle_at == first:
            assert time.monotonic() < deadline, "the embedded scheduler stopped cycling"
            time.sleep(0.2)
        leader = scheduler_status(engine).leader
        browser.close()
    log = (product.logs / "app.log").read_text()
    assert log.count("embedded scheduler") == 1, log  # one per process, not per session
    assert f":{product.app.pid}:" in leader  # the app process itself leads
    assert not (product.logs / "scheduler.log").exists()
    assert "Traceback" not in log
