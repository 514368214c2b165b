"""Two app replicas and two schedulers on one PostgreSQL, driven in Chromium: an account made
on replica A logs in on B with the same cookie key, picks saved on A are fetched by whichever
scheduler leads, failed logins on A lock the username on B, and "log out everywhere" on A ends
the session on B."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from stockmon.domain.db import make_engine
from stockmon.domain.models import LoginFailure, Quote
from stockmon.domain.sessions import LOCK_AFTER
from tests.faults.test_processes import wait_for
from tests.test_browser import (  # noqa: F401 (browser, patient_expectations: fixtures)
    CHROMIUM,
    browser,
    patient_expectations,
    register,
    serving,
    submit_login,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"the replica test needs Chromium at {CHROMIUM} (apt-get install chromium)",
)


@pytest.fixture
def replicas(postgres_url, tmp_path):
    settings = {
        "STOCKMON_DATABASE_URL": postgres_url,
        "STOCKMON_DATA_DIR": str(tmp_path / "data"),
        "STOCKMON_PROVIDER": "demo",
        "STOCKMON_REFRESH_SECONDS": "2",
        "STOCKMON_DASHBOARD_REFRESH_SECONDS": "2",
        "STOCKMON_COOKIE_KEY": "one-key-for-every-replica-0123456789-abcdef",
    }
    with serving(settings, tmp_path / "a") as a, serving(settings, tmp_path / "b") as b:
        yield a, b


# A replica's first page imports what every page needs (pandas, Plotly, the pages), which on a
# loaded two-core machine can take longer than a rerun's 20 s.
FIRST_PAGE_MS = 60_000


def log_in(page, url: str, password: str) -> None:
    page.goto(url)
    submit_login(page, "rita", password)


def test_two_replicas_share_accounts_picks_throttling_and_revocation(
    replicas,
    browser,  # noqa: F811
    postgres_url,
):
    from playwright.sync_api import expect

    a, b = replicas
    # register and pick on A
    on_a = browser.new_context(viewport={"width": 1440, "height": 900})
    page_a = on_a.new_page()
    page_a.set_default_timeout(30_000)
    page_a.goto(a)
    expect(page_a.get_by_text("Create account", exact=True)).to_be_visible(timeout=FIRST_PAGE_MS)
    register(page_a, "rita", "Rita", "rita@example.com", "rita-pass-1")
    log_in(page_a, a, "rita-pass-1")
    expect(page_a.get_by_role("heading", name="Dashboard")).to_be_visible()
    page_a.get_by_role("link", name="Stock Picker").click()
    page_a.get_by_role("combobox").first.click()
    page_a.keyboard.type("IBM")
    page_a.get_by_role("option", name=re.compile(r"^IBM · ")).click()
    expect(page_a.get_by_test_id("stToast").last).to_contain_text("Saved 1 symbol on My stocks.")

    # whichever scheduler leads fetches it
    engine = make_engine(postgres_url)

    def ibm_fetched():
        with engine.connect() as conn:
            return conn.execute(select(Quote.price).where(Quote.symbol == "IBM")).first()

    wait_for(ibm_fetched)

    # A's login cookie opens B (one cookie key), and B shows the picks saved on A
    page_a.goto(b)
    expect(page_a.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=FIRST_PAGE_MS)
    expect(page_a.locator(".stockmon-ticker").first).to_contain_text("IBM")

    # failed logins on A lock the username on B, the right password too
    elsewhere = browser.new_context(viewport={"width": 1440, "height": 900})
    page_b = elsewhere.new_page()
    page_b.set_default_timeout(30_000)
    for _ in range(LOCK_AFTER):
        log_in(page_b, a, "not-her-password")
        expect(page_b.get_by_text("Wrong username or password.")).to_be_visible()
    log_in(page_b, b, "rita-pass-1")
    expect(page_b.get_by_text(re.compile("Too many failed attempts"))).to_be_visible()
    elsewhere.close()

    # a session on B ends when A logs out everywhere
    on_b = browser.new_context(viewport={"width": 1440, "height": 900})
    with engine.begin() as conn:  # the pause is lifted (as when its 15 minutes are over)
        conn.execute(delete(LoginFailure))
    page_b = on_b.new_page()
    page_b.set_default_timeout(30_000)
    log_in(page_b, b, "rita-pass-1")
    expect(page_b.get_by_role("heading", name="Dashboard")).to_be_visible()
    page_a.goto(a)
    page_a.get_by_role("link", name="Account").click()
    page_a.get_by_role("button", name="Log out everywhere").click()
    expect(page_a.get_by_role("button", name="Log in")).to_be_visible()
    page_b.get_by_role("link", name="Charts").click()  # its next run
    expect(page_b.get_by_role("button", name="Log in")).to_be_visible()
    page_b.reload()
    expect(page_b.get_by_role("button", name="Log in")).to_be_visible()
    on_a.close()
    on_b.close()
    engine.dispose()
