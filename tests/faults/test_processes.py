"""Real scheduler processes under real faults: killed database connections, SIGKILL, SIGSTOP.

Each scheduler speaks to the fake Alpha Vantage with its own API key, so the server's log says
who sent what and when: two leaders would show up as two keys inside one interval.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from stockmon.domain.db import make_engine
from stockmon.domain.models import ApiRequest, FetchStatus, LeaderLease, PriceHistory, Quote
from tests.conftest import subprocess_environment
from tests.running import start_scheduler

INTERVAL = 1  # seconds between cycles
LEASE = 4  # seconds a lease lasts unless renewed
SCHEDULING_SLACK = 6  # seconds a loaded 2-core machine may take to run a standby's lease job


def wait_for(condition: Callable[[], object], timeout: float = 60, every: float = 0.1) -> object:
    """Poll until ``condition()`` is truthy and return it; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {condition.__name__}")


def scheduler_env(database_url: str, fake, key: str, **extra: str) -> dict[str, str]:
    """The process environment: every stockmon and Alpha Vantage variable set here, none
    inherited, so nothing can reach the real API."""
    return subprocess_environment(
        **{
            "STOCKMON_DATABASE_URL": database_url,
            "STOCKMON_PROVIDER": "alphavantage",
            "STOCKMON_SYMBOLS": "AAPL,MSFT",
            "STOCKMON_REFRESH_SECONDS": str(INTERVAL),
            "STOCKMON_LEADER_LEASE_SECONDS": str(LEASE),
            "STOCKMON_MARKET_HOURS": "false",
            "ALPHA_VANTAGE_API_KEY": key,
            "ALPHA_VANTAGE_BASE_URL": fake.url,
            "ALPHA_VANTAGE_MIN_REQUEST_INTERVAL": "0",
            "ALPHA_VANTAGE_REQUESTS_PER_MINUTE": "10000",
            "ALPHA_VANTAGE_REQUESTS_PER_DAY": "0",
            "ALPHA_VANTAGE_TIMEOUT_SECONDS": "5",
        }
        | extra
    )


class Schedulers:
    """Starts scheduler processes and ends every one of them, whatever happens."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def start(self, environment: dict[str, str], *args: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"scheduler-{len(self.processes)}.log", "w")  # noqa: SIM115
        process = start_scheduler(environment, log, *args, cwd=self.tmp_path)
        self.processes.append(process)
        return process

    def wait_standing_by(self, process: subprocess.Popen) -> None:
        """Until ``process`` has started its jobs and found the lease taken."""
        log = self.tmp_path / f"scheduler-{self.processes.index(process)}.log"

        def standing_by() -> bool:
            return "started: provider" in log.read_text()

        wait_for(standing_by)
        time.sleep(2 * INTERVAL)  # its lease job has run at least once since

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.kill()
            process.wait(timeout=30)


@pytest.fixture
def schedulers(tmp_path) -> Iterator[Schedulers]:
    started = Schedulers(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def named(database_url: str, name: str) -> str:
    """``database_url`` with an application name, so the test can find the connections."""
    url = make_url(database_url).update_query_dict({"application_name": name})
    return url.render_as_string(hide_password=False)


def keys_seen_since(fake, since: float) -> set[str]:
    return {r.key for r in fake.received if r.at >= since}


def key_switches(fake) -> list[tuple[float, str, str]]:
    """(gap in seconds, from key, to key) at each change of sender in the server's log."""
    received = sorted(fake.received, key=lambda r: r.at)
    return [
        (later.at - earlier.at, earlier.key, later.key)
        for earlier, later in itertools.pairwise(received)
        if earlier.key != later.key
    ]


def lease_expiry(engine) -> float:
    with engine.connect() as conn:
        return conn.execute(select(LeaderLease.expires_at)).scalar_one().timestamp()


def test_one_leader_through_killed_connections_sigkill_and_sigstop(
    postgres_url, fake_av, schedulers
):
    database_url = postgres_url
    fake_av.other_keys = {"key-A", "key-B", "key-C"}
    engine = make_engine(database_url)
    first = schedulers.start(scheduler_env(named(database_url, "sched-A"), fake_av, "key-A"))
    wait_for(lambda: "key-A" in keys_seen_since(fake_av, 0))
    second = schedulers.start(scheduler_env(named(database_url, "sched-B"), fake_av, "key-B"))
    schedulers.wait_standing_by(second)
    assert keys_seen_since(fake_av, 0) == {"key-A"}

    # 1. The leader's database connections are killed under it: still one leader.
    with engine.begin() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'sched-A'"
            )
        ).scalar_one()
    assert killed >= 1
    after_kill = time.time()
    wait_for(lambda: len([r for r in fake_av.received if r.at > after_kill]) >= 10)

    # 2. SIGKILL the leader: the standby takes over within two intervals of the lease's end.
    leader_key = fake_av.received[-1].key
    leader, standby_key = (first, "key-B") if leader_key == "key-A" else (second, "key-A")
    leader.send_signal(signal.SIGKILL)
    leader.wait(timeout=10)
    expires = lease_expiry(engine)
    wait_for(lambda: standby_key in keys_seen_since(fake_av, time.time() - 60), timeout=30)
    took_over = min(r.at for r in fake_av.received if r.key == standby_key)
    assert took_over <= expires + 2 * INTERVAL + SCHEDULING_SLACK

    # 3. SIGSTOP the new leader: a third scheduler takes over; the frozen one, thawed, stands by.
    new_leader = second if standby_key == "key-B" else first
    third = schedulers.start(scheduler_env(named(database_url, "sched-C"), fake_av, "key-C"))
    schedulers.wait_standing_by(third)
    new_leader.send_signal(signal.SIGSTOP)
    frozen_at = time.time()
    expires = lease_expiry(engine)
    wait_for(lambda: "key-C" in keys_seen_since(fake_av, frozen_at), timeout=30)
    took_over = min(r.at for r in fake_av.received if r.key == "key-C")
    assert took_over <= expires + 2 * INTERVAL + SCHEDULING_SLACK
    new_leader.send_signal(signal.SIGCONT)
    thawed_at = time.time()
    time.sleep(4 * INTERVAL)
    assert keys_seen_since(fake_av, thawed_at) == {"key-C"}

    # Never two senders inside one interval: every change of sender waited out a lease.
    assert all(gap >= INTERVAL for gap, *_ in key_switches(fake_av)), key_switches(fake_av)
    engine.dispose()


def test_sigkill_in_the_middle_of_a_cycle_loses_and_duplicates_nothing(
    database_url, fake_av, schedulers
):
    symbols = [f"S{i:02d}" for i in range(12)]
    fake_av.default = "slow"
    fake_av.slow_seconds = 0.3
    environment = scheduler_env(
        database_url, fake_av, fake_av.api_key, STOCKMON_SYMBOLS=",".join(symbols)
    )
    process = schedulers.start(environment, "--once")
    wait_for(lambda: len(fake_av.received) >= 8)  # well inside the cycle, after a flush or two
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    received_at_crash = len(fake_av.received)

    engine = make_engine(database_url)
    with engine.connect() as conn:
        recorded = conn.execute(select(func.count()).select_from(ApiRequest)).scalar_one()
    # each request was recorded before it was sent; at most the one in flight never arrived
    assert received_at_crash <= recorded <= received_at_crash + 1
    assert_consistent(engine)

    fake_av.default = "ok"
    # A new run waits for the dead one's lease to run out, then finishes the job.
    wait_for(lambda: datetime.now(UTC).timestamp() > lease_expiry(engine), timeout=LEASE + 5)
    done = schedulers.start(environment, "--once")
    assert done.wait(timeout=120) == 0
    with engine.connect() as conn:
        recorded = conn.execute(select(func.count()).select_from(ApiRequest)).scalar_one()
        quoted = conn.execute(select(func.count()).select_from(Quote)).scalar_one()
    assert recorded == len(fake_av.received)
    assert quoted == len(symbols)
    assert_consistent(engine)
    engine.dispose()


def assert_consistent(engine) -> None:
    """Every stored quote has its fetch status and exactly one history point at its time."""
    with engine.connect() as conn:
        quotes = conn.execute(select(Quote.symbol, Quote.fetched_at)).all()
        statuses = dict(conn.execute(select(FetchStatus.symbol, FetchStatus.last_success_at)).all())
        points = conn.execute(
            select(PriceHistory.symbol, PriceHistory.ts, func.count()).group_by(
                PriceHistory.symbol, PriceHistory.ts
            )
        ).all()
    assert all(count == 1 for *_, count in points)
    stamps = {(symbol, ts) for symbol, ts, _ in points}
    for symbol, fetched_at in quotes:
        assert statuses[symbol] == fetched_at
        assert (symbol, fetched_at) in stamps


def test_a_symbol_drawing_the_burst_notice_holds_back_no_other(
    schedulers, database_url, fake_av, tmp_path
):
    """A real scheduler, premium limits (30 a minute, no daily cap): AAA, first in line, draws
    the per-second burst answer every time. Each healthy symbol is fetched again and again,
    and AAA takes no more requests than any healthy symbol."""
    healthy = ["BBB", "CCC", "DDD", "EEE"]
    fake_av.script["AAA"] = "burst"
    environment = scheduler_env(
        database_url,
        fake_av,
        fake_av.api_key,
        STOCKMON_SYMBOLS=",".join(["AAA", *healthy]),
        ALPHA_VANTAGE_REQUESTS_PER_MINUTE="30",
    )
    process = schedulers.start(environment)

    def each_healthy_symbol_fetched_three_times() -> bool:
        sent = Counter(r.symbol for r in fake_av.received)
        return all(sent[symbol] >= 3 for symbol in healthy)

    # five symbols at 30 a minute: each is due every 10 s, so three rounds take ~30 s
    wait_for(each_healthy_symbol_fetched_three_times, timeout=120)
    sent = Counter(r.symbol for r in fake_av.received)
    assert 1 <= sent["AAA"] <= min(sent[symbol] for symbol in healthy), sent
    assert fake_av.over_limits(per_minute=30) == 0
    process.terminate()
    process.wait(timeout=30)
    log = (tmp_path / "scheduler-0.log").read_text()
    assert "Traceback" not in log and "slow down" in log
