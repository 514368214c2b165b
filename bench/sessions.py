"""Open dashboards against one app process: does the database work grow with sessions?

For S = 1, 10 and 25 logged-in dashboards (one person each, 10 picks each), all refreshing
every 5 seconds, for 60 seconds, on SQLite and on PostgreSQL, it prints: statements per second
the app's refreshing parts (dashboard and sidebar) sent to the database ("statements/s",
counted by the app's engine), the app process's CPU seconds per second ("CPU"; beside it the
browsers' and the whole machine's), and the dashboard refresh's run time measured in the app
("refresh p50/p95"). Targets: statements/s at S = 25 within 1.5x of S = 1; refresh p95 under
250 ms at S = 25.

The dashboards are protocol tabs (``tests/streamlit_client.py``): they speak Streamlit's
WebSocket protocol with a login cookie and rerun the page's refreshing fragments on their
timers, as a browser does, but draw nothing, so the figures are the server's, as they are
where people's browsers run on their own machines. ``--browsers`` opens headless Chromium
pages instead, logged in through the form, on the app's own cores.

    .venv/bin/python -m bench.sessions [sqlite|postgresql] [--browsers]
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Protocol

from playwright.sync_api import Playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import POSTGRES_URL
from stockmon.domain import accounts
from stockmon.domain.catalog import load_catalog
from stockmon.domain.db import make_engine
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import save_picks
from tests.running import running_product
from tests.streamlit_client import ProtocolTabs, login_cookie
from tests.test_browser import CHROMIUM, submit_login

SESSIONS = (1, 10, 25)
MEASURE_SECONDS = 60
REFRESH_SECONDS = 5
PICKS = [entry.symbol for entry in load_catalog()[:60]]
PASSWORD = "bench-pass-1"
COOKIE_KEY = "bench-cookie-key-0123456789-0123456789-0123456789"
REFRESH_LINE = re.compile(
    r"stockmon\.app: (dashboard|sidebar) refresh: ([\d.]+) ms, (\d+) statements"
)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds() -> float:
    """CPU time of every Chromium process on the machine (the pages share its cores)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if "chrom" in stat.read_text().split(")", 1)[0]:
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError):
            continue  # the process ended while being read
    return total


def machine_cpu_seconds() -> float:
    """CPU time spent by the whole machine, all cores, idle excluded."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


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
            PASSWORD,
        )
        save_picks(engine, person.id, PICKS[index % 6 * 10 : index % 6 * 10 + 10])
    engine.dispose()


def run(name: str, url: str, folder: Path, tabs: Callable[[str, str], Tabs]) -> None:
    people(url, max(SESSIONS))
    settings = {
        "STOCKMON_DATABASE_URL": url,
        "STOCKMON_DATA_DIR": str(folder),
        "STOCKMON_PROVIDER": "demo",
        "STOCKMON_COOKIE_KEY": COOKIE_KEY,
        "STOCKMON_REFRESH_SECONDS": str(REFRESH_SECONDS),
        "STOCKMON_DASHBOARD_REFRESH_SECONDS": str(REFRESH_SECONDS),
        "STOCKMON_APP_LOG_LEVEL": "DEBUG",
    }
    with running_product(settings, folder / "logs") as product:
        log_path = product.logs / "app.log"
        load = tabs(product.url, url)
        try:
            for sessions in SESSIONS:
                while load.opened < sessions:
                    load.open(f"person{load.opened}")
                time.sleep(2 * REFRESH_SECONDS)  # every tab past its first load
                offset = log_path.stat().st_size
                started, before = time.time(), cpu_figures(product.app.pid)
                time.sleep(MEASURE_SECONDS)
                finished, after = time.time(), cpu_figures(product.app.pid)
                with open(log_path) as lines:
                    lines.seek(offset)
                    window = lines.read()
                spent = [end - start for start, end in zip(before, after, strict=True)]
                report(name, sessions, window, finished - started, *spent)
        finally:
            load.close()


class Tabs(Protocol):
    """Logged-in dashboards, opened one at a time."""

    opened: int

    def open(self, username: str) -> None: ...

    def close(self) -> None: ...


class ClientTabs:
    """Tabs that speak Streamlit's protocol and draw nothing: the load costs what it costs
    the server. Each holds the login cookie the app gives at login."""

    def __init__(self, address: str, database_url: str) -> None:
        self.tabs = ProtocolTabs(address)
        self.engine = make_engine(database_url)  # where each tab's login is recorded
        self.opened = 0

    def open(self, username: str) -> None:
        session = self.tabs.open(login_cookie(self.engine, username, COOKIE_KEY))
        if not session.fragments or not any("stockmon-ticker" in b for b in session.drawn):
            raise RuntimeError(f"{username}'s tab shows no dashboard")
        self.opened += 1

    def close(self) -> None:
        self.tabs.close()
        self.engine.dispose()


class BrowserTabs:
    """Headless Chromium pages logging in through the form, on the app's own cores."""

    def __init__(self, playwright: Playwright, address: str, _database_url: str) -> None:
        self.address = address
        self.browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        self.opened = 0

    def open(self, username: str) -> None:
        """A logged-in dashboard; the login is tried again should a loaded machine lose it."""
        page = self.browser.new_context(viewport={"width": 1024, "height": 700}).new_page()
        page.set_default_timeout(120_000)  # the pages render on the same cores as the app
        page.goto(self.address)
        for _attempt in range(3):
            page.get_by_role("button", name="Log in").wait_for()
            submit_login(page, username, PASSWORD)
            try:
                page.locator(".stockmon-ticker").first.wait_for(timeout=30_000)
                self.opened += 1
                return
            except PlaywrightTimeout:
                page.goto(self.address)
        raise RuntimeError(f"{username} could not log in")

    def close(self) -> None:
        self.browser.close()


def cpu_figures(app_pid: int) -> tuple[float, float, float]:
    """CPU seconds so far of (the app process, the browsers, the whole machine)."""
    return cpu_seconds(app_pid), browser_cpu_seconds(), machine_cpu_seconds()


def report(
    name: str, sessions: int, log: str, seconds: float, cpu: float, browsers: float, machine: float
) -> None:
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
        f"CPU {cpu / seconds:.2f} s/s (browsers {browsers / seconds:.2f}, machine "
        f"{machine / seconds:.2f} of {os.cpu_count()}), refresh p50 {p50:5.1f} ms, "
        f"p95 {p95:6.1f} ms",
        flush=True,
    )


def main() -> None:
    """``python -m bench.sessions [sqlite|postgresql] [--browsers]``: both databases unless
    one is named; protocol tabs unless ``--browsers`` asks for Chromium pages."""
    from playwright.sync_api import sync_playwright

    arguments = sys.argv[1:]
    browsers = "--browsers" in arguments
    names = [a for a in arguments if a != "--browsers"] or ["sqlite", "postgresql"]
    print(
        f"S dashboards refreshing every {REFRESH_SECONDS} s, measured over {MEASURE_SECONDS} s, "
        f"as {'Chromium pages' if browsers else 'protocol tabs'}"
    )
    with sync_playwright() as playwright:
        for name in names:
            with database(name) as url, tempfile.TemporaryDirectory() as folder:
                tabs = partial(BrowserTabs, playwright) if browsers else ClientTabs
                run(name, url, Path(folder), tabs)


if __name__ == "__main__":
    main()
