"""The request budget: limits hold over a simulated day, across restarts, and are spread evenly."""

from datetime import timedelta

from stockmon.budget import Limits, RequestBudget
from stockmon.config import load_settings
from stockmon.ingest import Refresher, expected_refresh_interval
from stockmon.providers import AlphaVantageProvider

FREE = Limits(per_minute=5, per_day=25)
SYMBOLS = [f"S{i}" for i in range(30)]


def refresher(engine, fake, clock, limits=FREE) -> Refresher:
    provider = AlphaVantageProvider(fake.api_key, fake.url, timeout=1, min_request_interval=0)
    return Refresher(engine, provider, limits, SYMBOLS, now=clock)


def test_refresh_interval_follows_the_tighter_limit():
    assert FREE.refresh_interval(5) == timedelta(minutes=1440 * 5 / 25)
    assert Limits(75, 0).refresh_interval(150) == timedelta(minutes=2)
    assert Limits(5, 500).refresh_interval(100) == timedelta(minutes=288)


def test_a_simulated_day_never_sends_a_26th_request(engine, fake_av, clock):
    worker = refresher(engine, fake_av, clock)
    for _ in range(24 * 60):
        worker.run_cycle(pace=False)
        clock.advance(minutes=1)
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


def test_pacing_spreads_the_daily_budget_over_the_day(engine, fake_av, clock):
    symbols = SYMBOLS[:5]  # 5 symbols, 25 a day: each one every 288 minutes
    provider = AlphaVantageProvider(fake_av.api_key, fake_av.url, min_request_interval=0)
    worker = Refresher(engine, provider, FREE, symbols, now=clock)
    sent_at = []
    for minute in range(24 * 60):
        before = len(fake_av.requests)
        worker.run_cycle()
        sent_at += [minute] * (len(fake_av.requests) - before)
        clock.advance(minutes=1)
    assert sent_at == [m for m in (0, 288, 576, 864, 1152) for _ in symbols]


def test_expected_refresh_interval_follows_the_pacing(engine):
    demo = load_settings(STOCKMON_PROVIDER="demo", STOCKMON_REFRESH_SECONDS=10)
    assert expected_refresh_interval(engine, demo) == timedelta(seconds=10)
    free = load_settings(ALPHA_VANTAGE_API_KEY="k", STOCKMON_SYMBOLS="AAPL,MSFT,IBM,GME,AMD")
    assert expected_refresh_interval(engine, free) == timedelta(minutes=288)
    bulk = load_settings(
        ALPHA_VANTAGE_API_KEY="k",
        ALPHA_VANTAGE_BULK_QUOTES="true",
        ALPHA_VANTAGE_REQUESTS_PER_MINUTE="75",
        ALPHA_VANTAGE_REQUESTS_PER_DAY="0",
        STOCKMON_SYMBOLS="AAPL,MSFT",
    )
    assert expected_refresh_interval(engine, bulk) == timedelta(seconds=60)
