"""The status page's data on both databases, and an admin's requests reaching a real
scheduler process."""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import select

from stockmon import __version__
from stockmon.app.heartbeat import scheduler_status
from stockmon.app.status import request_cycle, retry_symbol, status_report, symbol_table
from stockmon.domain.models import FetchStatus, RetryRequest, SchedulerState, utcnow
from stockmon.domain.watchlists import save_picks
from stockmon.scheduler.budget import Limits
from tests.conftest import GENEROUS, av_provider, av_refresher
from tests.running import scheduler_process


def test_the_report_shows_what_the_scheduler_spent_and_published(engine, fake_av, clock, user_id):
    save_picks(engine, user_id, ["AAPL", "MSFT", "NVDA"])
    fake_av.script["NVDA"] = "http500"
    limits = Limits(per_minute=5, per_day=25)
    refresher = av_refresher(engine, fake_av, clock, [], limits)
    refresher.run_cycle(pace=False)
    sent_before = len(fake_av.received)
    clock.advance(hours=3)
    refresher.run_cycle(pace=False)
    sent = len(fake_av.received)  # retries of the failing symbol included

    report = status_report(engine, clock(), [], budgeted=True)
    assert report.status.version == __version__
    assert (report.status.per_minute, report.status.per_day) == (5, 25)
    assert report.spending is not None
    assert report.spending.last_day == sent
    assert report.spending.last_minute == sent - sent_before  # the second cycle's
    assert report.spending.per_bucket["requests"].sum() == sent
    assert len(report.spending.per_bucket) == 48
    symbols = report.symbols.set_index("symbol")
    assert list(symbols.index) == ["AAPL", "MSFT", "NVDA"]
    assert symbols.at["NVDA", "failures"] >= 1 and symbols.at["NVDA", "last_error"]
    assert symbols["last_success_at"].isna().tolist() == [False, False, True]
    assert report.waiting == 1
    shown = symbol_table(report.symbols, clock(), ZoneInfo("Europe/Paris")).set_index("Symbol")
    assert shown.at["NVDA", "Last success"] == "never"
    assert shown.at["AAPL", "Last error"] == "—" and shown.at["AAPL", "Backing off until"] == "—"
    assert (
        shown.at["AAPL", "Last success"]
        == f"{clock().astimezone(ZoneInfo('Europe/Paris')):%a %H:%M:%S}"
    )


def test_the_demo_market_has_no_spending_and_a_round_time(engine, user_id):
    from stockmon.providers import DemoProvider
    from stockmon.scheduler.ingest import Refresher

    save_picks(engine, user_id, ["AAPL", "KO"])
    Refresher(engine, DemoProvider(), None, [], cycle=timedelta(seconds=60)).run_cycle()
    now = utcnow()
    report = status_report(engine, now, [], budgeted=False)
    assert report.spending is None and report.status.per_minute is None
    assert report.status.provider == "demo"
    assert report.waiting == 0
    left = report.until_all_refreshed(now)
    assert left is not None and timedelta(0) < left <= timedelta(seconds=60)


def test_retry_asks_the_leader_to_end_a_back_off_at_its_next_cycle(engine, fake_av, clock, user_id):
    save_picks(engine, user_id, ["IBM"])
    fake_av.script["IBM"] = "error"
    av_refresher(engine, fake_av, clock, []).run_cycle(pace=False)
    before = fetch_record(engine, "IBM")
    assert before.retry_after is not None and before.retry_after > clock()

    assert retry_symbol(engine, "IBM", clock())
    assert not retry_symbol(engine, "NOPE", clock())
    assert fetch_record(engine, "IBM") == before  # the app writes a request, not the record
    with engine.connect() as conn:
        requested = conn.execute(select(SchedulerState.value)).scalars().all()
        asked = conn.execute(select(RetryRequest.symbol)).scalars().all()
    assert clock().isoformat() in requested and asked == ["IBM"]
    fake_av.script["IBM"] = "ok"
    summary = av_refresher(engine, fake_av, clock, []).run_cycle(pace=False)
    assert summary.fetched == 1
    with engine.connect() as conn:
        assert conn.execute(select(RetryRequest.symbol)).scalars().all() == []


def test_a_deposed_leader_cannot_grant_a_retry(engine, fake_av, clock, user_id):
    from stockmon.scheduler.ingest import Refresher
    from stockmon.scheduler.leadership import LeadershipLost, Lease

    save_picks(engine, user_id, ["IBM"])
    fake_av.script["IBM"] = "error"
    av_refresher(engine, fake_av, clock, []).run_cycle(pace=False)
    before = fetch_record(engine, "IBM")
    old = Lease(engine, timedelta(seconds=30), holder="old", now=clock)
    assert old.try_acquire()
    clock.advance(seconds=31)
    assert Lease(engine, timedelta(seconds=30), holder="new", now=clock).try_acquire()
    assert retry_symbol(engine, "IBM", clock())
    provider, budget = av_provider(engine, fake_av, clock, GENEROUS)
    deposed = Refresher(engine, provider, budget, [], now=clock, fence=old.fence)
    with pytest.raises(LeadershipLost):
        deposed.run_cycle(pace=False)
    assert fetch_record(engine, "IBM") == before
    with engine.connect() as conn:
        assert conn.execute(select(RetryRequest.symbol)).scalars().all() == ["IBM"]


def fetch_record(engine, symbol: str):
    with engine.connect() as conn:
        return conn.execute(
            select(FetchStatus.retry_after, FetchStatus.last_attempt_at).where(
                FetchStatus.symbol == symbol
            )
        ).one()


def test_a_running_scheduler_runs_a_requested_cycle_at_once(tmp_path, database_url, engine):
    """With an hour between cycles, the cycle an admin asks for comes within seconds."""
    with scheduler_process(tmp_path, database_url, refresh_seconds=3600) as log:
        first = wait_for_cycle(engine, after=None)
        request_cycle(engine, utcnow())
        second = wait_for_cycle(engine, after=first)
        assert second > first
    assert "requested from the status page" in log.read_text()


def wait_for_cycle(engine, after, seconds: float = 60):
    """The time of the scheduler's first cycle after ``after``, waiting for it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        last = scheduler_status(engine).last_cycle_at
        if last is not None and (after is None or last > after):
            return last
        time.sleep(0.2)
    raise AssertionError("no new cycle")


def test_a_rejected_symbol_is_not_called_waiting(engine, fake_av, clock, user_id):
    save_picks(engine, user_id, ["AAPL", "NVDA", "TSLA", "MSFT"])
    fake_av.script.update({"NVDA": "empty", "MSFT": "http500"})
    refresher = av_refresher(engine, fake_av, clock, [], Limits(per_minute=4, per_day=25))
    refresher.run_cycle(pace=False)  # MSFT's retry takes the minute's last request from TSLA
    report = status_report(engine, clock(), [], budgeted=True)
    assert (report.rejected, report.waiting) == (1, 2)
    shown = symbol_table(report.symbols, clock(), ZoneInfo("UTC")).set_index("Symbol")
    assert shown.at["NVDA", "State"] == "rejected: unknown symbol"
    assert shown.at["TSLA", "State"] == "waiting for first quote"
    assert shown.at["MSFT", "State"] == "waiting for first quote"
    assert shown.at["AAPL", "State"] == "quoted"
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()
    assert "requests left: 0 in this minute, 21 in the last 24 h" in (
        report.status.last_cycle_summary
    )


def test_the_status_page_lists_what_the_scheduler_tracks(engine, fake_av, clock, user_id):
    """The same rule on both sides: configured symbols and picks; nothing with neither."""
    refresher = av_refresher(engine, fake_av, clock, ["IBM"])
    refresher.run_cycle()
    assert status_report(engine, clock(), ["IBM"], budgeted=True).symbols["symbol"].tolist() == [
        "IBM"
    ]
    empty = av_refresher(engine, fake_av, clock, [])
    clock.advance(minutes=1)
    assert empty.run_cycle().tracked == 0
    assert status_report(engine, clock(), [], budgeted=True).symbols.empty
    save_picks(engine, user_id, ["KO"])
    assert empty.tracked() == ["KO"]
    assert status_report(engine, clock(), [], budgeted=True).symbols["symbol"].tolist() == ["KO"]


def test_the_time_to_refresh_all_counts_each_listings_own_trading_hours():
    from stockmon.app.heartbeat import SchedulerStatus
    from stockmon.app.status import StatusReport

    tokyo_morning = datetime(2026, 11, 19, 2, 20, tzinfo=UTC)  # Thursday 11:20 in Tokyo
    symbols = pd.DataFrame(
        {
            "symbol": ["7203.TYO"],
            "market": ["XTKS"],
            "last_success_at": pd.to_datetime([tokyo_morning], utc=True),
            "rejection": [None],
        }
    )
    paced = SchedulerStatus(tokyo_morning, "", "alphavantage", timedelta(minutes=30), True, None)
    report = StatusReport(status=paced, spending=None, symbols=symbols)
    # 10 minutes before Tokyo's lunch break, 20 after it (12:30 to 12:50 in Tokyo)
    assert report.until_all_refreshed(tokyo_morning) == timedelta(minutes=90)
