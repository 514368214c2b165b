"""``scheduler.py`` as operators run it: a real process, real database, real HTTP."""

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from stockmon.domain.db import make_engine
from stockmon.domain.models import Quote
from stockmon.scheduler.service import CycleLog
from tests.conftest import subprocess_environment

ROOT = Path(__file__).resolve().parent.parent


def run_scheduler(
    tmp_path, env: dict[str, str], *args: str, **kwargs
) -> subprocess.CompletedProcess:
    environment = subprocess_environment(**env)
    return subprocess.run(
        [sys.executable, str(ROOT / "scheduler.py"), *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def quote_count(url: str) -> int:
    """Quotes stored so far; 0 while the scheduler has not yet created the schema."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Quote)).scalar_one()
    except OperationalError:  # no such table yet: migrations are still running
        return 0
    finally:
        engine.dispose()


def test_once_on_the_demo_market(tmp_path, database_url):
    done = run_scheduler(tmp_path, {"STOCKMON_DATABASE_URL": database_url}, "--once")
    assert done.returncode == 0, done.stderr
    assert "10 fetched, 0 failed" in done.stderr
    assert quote_count(database_url) == 10


def test_once_against_an_alpha_vantage_compatible_server(tmp_path, database_url, fake_av):
    env = {
        "STOCKMON_DATABASE_URL": database_url,
        "ALPHA_VANTAGE_API_KEY": fake_av.api_key,
        "ALPHA_VANTAGE_BASE_URL": fake_av.url,
        "ALPHA_VANTAGE_MIN_REQUEST_INTERVAL": "0",
        "STOCKMON_SYMBOLS": "AAPL,MSFT,IBM",
    }
    fake_av.script["IBM"] = "html"
    done = run_scheduler(tmp_path, env, "--once", "--log-level", "DEBUG")
    assert done.returncode == 0, done.stderr
    assert "2 fetched, 1 failed" in done.stderr
    assert "requests left: 2 in this minute, 22 in the last 24 h" in done.stderr
    assert fake_av.api_key not in done.stderr + done.stdout
    assert quote_count(database_url) == 2


def test_a_bad_setting_exits_with_a_clear_message(tmp_path):
    done = run_scheduler(tmp_path, {"STOCKMON_REFRESH_SECONDS": "often"}, "--once")
    assert done.returncode == 2
    assert "STOCKMON_REFRESH_SECONDS" in done.stderr
    assert "Traceback" not in done.stderr


def test_long_running_scheduler_writes_every_interval_and_stops_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'stockmon.db'}"
    environment = subprocess_environment(STOCKMON_DATABASE_URL=url, STOCKMON_REFRESH_SECONDS="1")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scheduler.py")],
        cwd=tmp_path,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if (tmp_path / "stockmon.db").exists() and quote_count(url) == 10:
                break
        engine = make_engine(url)
        with engine.connect() as conn:
            first = conn.execute(select(func.max(Quote.fetched_at))).scalar_one()

        def newest() -> object:
            with engine.connect() as conn:
                return conn.execute(select(func.max(Quote.fetched_at))).scalar_one()

        deadline = time.monotonic() + 30  # the next cycles store newer quotes
        while newest() <= first and time.monotonic() < deadline:
            time.sleep(0.2)
        assert newest() > first
        # a second scheduler on the same database refuses to run a cycle beside it
        second = run_scheduler(tmp_path, {"STOCKMON_DATABASE_URL": url}, "--once")
        assert second.returncode == 3 and "another stockmon process" in second.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "received SIGTERM" in stderr and "scheduler stopped" in stderr


def test_a_quiet_scheduler_logs_a_cycle_line_a_minute_and_every_change():
    now = [0.0]
    cycle_log = CycleLog(clock=lambda: now[0])
    same = "cycle: 10 fetched, 0 failed"
    levels = []
    for _ in range(6):  # a cycle every 10 s for a minute
        levels.append(cycle_log.level(same))
        now[0] += 10
    assert levels == [logging.INFO] + [logging.DEBUG] * 5
    assert cycle_log.level(same) == logging.INFO  # a minute on
    assert cycle_log.level("cycle: 9 fetched, 1 failed") == logging.INFO  # something changed
    assert cycle_log.level("cycle: 9 fetched, 1 failed") == logging.DEBUG
