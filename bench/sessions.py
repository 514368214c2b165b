"""Open dashboards against one app process: does the database work grow with sessions?

For S = 1, 10 and 25 logged-in dashboards (headless Chromium pages, one person each, 10 picks
each), all refreshing every 5 seconds, for 60 seconds, on SQLite and on PostgreSQL, it prints:
statements per second the app's refreshing parts (dashboard and sidebar) sent to the database
("statements/s", counted by the app's engine), the app process's CPU seconds per second
("CPU"), and the dashboard refresh's run time measured in the app ("refresh p50/p95").
Targets: statements/s at S = 25 within 1.5x of S = 1; refresh p95 under 250 ms at S = 25.

    .venv/bin/python -m bench.sessions
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import POSTGRES_URL
from stockmon import accounts
from stockmon.catalog import load_catalog
from stockmon.db import make_engine
from stockmon.schema import prepare_database
from stockmon.watchlists import save_picks
from tests.running import running_product
from tests.test_browser import CHROMIUM

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = (1, 10, 25)
MEASURE_SECONDS = 60
REFRESH_SECONDS = 5
PICKS = [entry.symbol for entry in load_catalog()[:60]]
REFRESH_LINE = re.compile(
    r"stockmon\.app: (dashboard|sidebar) refresh: ([\d.]+) ms, (\d+) statements"
)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def database(name: str):
    """(URL, cleanup) of a fresh database: a SQLite file or a PostgreSQL schema."""
    if name == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    schema = f"bench_{os.getpid()}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(POSTGRES_URL)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def people(url: str, count: int) -> None:
    engine = make_engine(url)
    prepare_database(engine)
    for index in range(count):
        person = accounts.create_user(
            engine,
            f"person{index}",
            f"Person {index}",
            f"person{index}@example.com",
            "bench-pass-1",
        )
        save_picks(engine, person.id, PICKS[index % 6 * 10 : index % 6 * 10 + 10])
    engine.dispose()


def run(name: str, url: str, folder: Path, playwright) -> None:
    people(url, max(SESSIONS))
    settings = {
        "STOCKMON_DATABASE_URL": url,
        "STOCKMON_DATA_DIR": str(folder),
        "STOCKMON_PROVIDER": "demo",
        "STOCKMON_REFRESH_SECONDS": str(REFRESH_SECONDS),
        "STOCKMON_DASHBOARD_REFRESH_SECONDS": str(REFRESH_SECONDS),
        "STOCKMON_APP_LOG_LEVEL": "DEBUG",
    }
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    try:
        with running_product(settings, folder / "logs") as product:
            log_path = product.logs / "app.log"
            pages = []
            for sessions in SESSIONS:
                while len(pages) < sessions:
                    pages.append(open_dashboard(browser, product.url, f"person{len(pages)}"))
                time.sleep(2 * REFRESH_SECONDS)  # every page past its first load
                offset = log_path.stat().st_size
                started, cpu_before = time.time(), cpu_seconds(product.app.pid)
                time.sleep(MEASURE_SECONDS)
                finished, cpu_after = time.time(), cpu_seconds(product.app.pid)
                with open(log_path) as lines:
                    lines.seek(offset)
                    window = lines.read()
                report(name, sessions, window, finished - started, cpu_after - cpu_before)
    finally:
        browser.close()


def open_dashboard(browser, address: str, username: str):
    """A logged-in dashboard; the login is tried again should a loaded machine lose it."""
    page = browser.new_context(viewport={"width": 1024, "height": 700}).new_page()
    page.set_default_timeout(120_000)  # 25 pages render on the same two cores as the app
    page.goto(address)
    for _attempt in range(3):
        page.get_by_role("button", name="Log in").wait_for()
        page.get_by_role("textbox", name="Username", exact=True).fill(username)
        page.get_by_role("textbox", name="Password", exact=True).fill("bench-pass-1")
        page.get_by_role("button", name="Log in").click()
        try:
            page.locator(".stockmon-ticker").first.wait_for(timeout=30_000)
            return page
        except PlaywrightTimeout:
            page.goto(address)
    raise RuntimeError(f"{username} could not log in")


def report(name: str, sessions: int, log: str, seconds: float, cpu: float) -> None:
    """The figures of one measurement window, from the app's log lines written during it."""
    found = REFRESH_LINE.findall(log)
    refreshes = [(float(ms), int(n)) for part, ms, n in found if part == "dashboard"]
    statements = sum(int(n) for _, _, n in found)
    times = sorted(ms for ms, _ in refreshes)
    p50 = statistics.median(times) if times else float("nan")
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else float("nan")
    print(
        f"{name:>10}, S = {sessions:2d}: {len(refreshes) / seconds:5.2f} refreshes/s, "
        f"{statements / seconds:6.2f} statements/s, "
        f"CPU {cpu / seconds:.2f} s/s, refresh p50 {p50:5.1f} ms, p95 {p95:6.1f} ms",
        flush=True,
    )


def main() -> None:
    """``python -m bench.sessions [sqlite|postgresql]``: both databases unless one is named."""
    from playwright.sync_api import sync_playwright

    print(f"S dashboards refreshing every {REFRESH_SECONDS} s, measured over {MEASURE_SECONDS} s")
    names = sys.argv[1:] or ["sqlite", "postgresql"]
    with sync_playwright() as playwright:
        for name in names:
            with database(name) as url, tempfile.TemporaryDirectory() as folder:
                run(name, url, Path(folder), playwright)


if __name__ == "__main__":
    main()
