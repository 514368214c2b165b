"""The request budget: limits hold over a simulated day, across restarts, and are spent when
markets trade."""

import itertools
from datetime import UTC, datetime, timedelta

from stockmon.app.heartbeat import scheduler_status
from stockmon.scheduler.budget import Limits, RequestBudget
from tests.conftest import av_refresher, run_a_greedy_day, to_next_cycle

FREE = Limits(per_minute=5, per_day=25)
SYMBOLS = [f"S{i}" for i in range(30)]


def refresher(engine, fake, clock, limits=FREE):
    return av_refresher(engine, fake, clock, SYMBOLS, limits, timeout=1)


def test_a_simulated_day_never_sends_a_26th_request(engine, fake_av, clock):
    worker = refresher(engine, fake_av, clock)
    run_a_greedy_day(worker, clock)
    assert len(fake_av.requests) == 25


def test_no_minute_ever_sees_a_sixth_request(engine, fake_av, clock):
    worker = refresher(engine, fake_av, clock, Limits(per_minute=5, per_day=0))
    for _ in range(12):
        worker.run_cycle(pace=False)
        clock.advance(seconds=20)
    assert len(fake_av.requests) == 20  # 4 minutes of 5


def test_a_restart_mid_day_keeps_the_count(engine, fake_av, clock):
    first = refresher(engine, fake_av, clock)
    for _ in range(3):
        first.run_cycle(pace=False)
        clock.advance(minutes=1)
    assert len(fake_av.requests) == 15

    restarted = refresher(engine, fake_av, clock)  # a new process: nothing kept in memory
    for _ in range(10):
        restarted.run_cycle(pace=False)
        clock.advance(minutes=1)
    assert len(fake_av.requests) == 25
    assert RequestBudget(engine, "alphavantage", FREE).remaining(clock()) == 0


def test_the_budget_comes_back_after_24_hours(engine, fake_av, clock):
    worker = refresher(engine, fake_av, clock)
    for _ in range(5):
        worker.run_cycle(pace=False)
        clock.advance(minutes=1)
    clock.advance(hours=24)
    assert worker.run_cycle(pace=False).fetched == 5


def test_the_daily_budget_is_spent_over_the_trading_session(engine, fake_av, clock):
    # Monday 2026-03-02: New York trades 14:30-21:00 UTC. 5 symbols, 25 requests a day.
    clock.current = datetime(2026, 3, 2, tzinfo=UTC)
    worker = av_refresher(engine, fake_av, clock, SYMBOLS[:5], FREE)
    sent_at = []
    while clock() < datetime(2026, 3, 3, tzinfo=UTC):
        before = len(fake_av.requests)
        worker.run_cycle()
        sent_at += [clock()] * (len(fake_av.requests) - before)
        to_next_cycle(clock, minutes=1)
    first_fetches, paced = sent_at[:5], sent_at[5:]
    assert all(t == datetime(2026, 3, 2, tzinfo=UTC) for t in first_fetches)  # new: at once
    session = (datetime(2026, 3, 2, 14, 30, tzinfo=UTC), datetime(2026, 3, 2, 21, tzinfo=UTC))
    assert len(paced) == 20 and all(session[0] <= t <= session[1] for t in paced)
    gaps = [b - a for a, b in itertools.pairwise(paced)]
    assert max(gaps) <= timedelta(minutes=21)  # 390 min / 20 requests, give or take a cycle
    per_symbol = [r["symbol"] for r in fake_av.requests]
    assert all(per_symbol.count(s) == 5 for s in SYMBOLS[:5])


def test_a_weekend_spends_nothing_but_the_closing_fetch(engine, fake_av, clock):
    # Friday 2026-03-06 from the open (14:30 UTC) to Monday's open (13:30 UTC, summer time).
    clock.current = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
    worker = av_refresher(engine, fake_av, clock, SYMBOLS[:5], FREE)
    sent_at = []
    while clock() < datetime(2026, 3, 9, 13, 30, tzinfo=UTC):
        before = len(fake_av.requests)
        worker.run_cycle()
        sent_at += [clock()] * (len(fake_av.requests) - before)
        to_next_cycle(clock, minutes=5)
    close = datetime(2026, 3, 6, 21, tzinfo=UTC)
    in_session = [t for t in sent_at[5:] if t < close]
    after_close = [t for t in sent_at[5:] if t >= close]
    assert len(sent_at) == 30
    assert len(in_session) == 20  # the day's 25, less the 5 first fetches
    # one closing fetch each, as soon as the day's requests leave the rolling window
    assert (
        len(after_close) == 5 and sorted(r["symbol"] for r in fake_av.requests[-5:]) == SYMBOLS[:5]
    )
    assert all(t < datetime(2026, 3, 7, 15, tzinfo=UTC) for t in after_close)
    status = scheduler_status(engine)
    assert status.refresh_interval == timedelta(minutes=390 * 5 / 25)


def test_the_heartbeat_publishes_the_interval_each_symbol_gets(engine, fake_av, clock):
    av_refresher(engine, fake_av, clock, SYMBOLS[:10], FREE).run_cycle()
    assert scheduler_status(engine).refresh_interval == timedelta(minutes=156)
    premium = Limits(per_minute=75, per_day=0)
    av_refresher(engine, fake_av, clock, SYMBOLS[:10], premium).run_cycle()
    assert scheduler_status(engine).refresh_interval == timedelta(seconds=8)
