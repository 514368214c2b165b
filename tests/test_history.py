"""Daily history on both databases: the demo market's year of bars, the backfill through the
fake Alpha Vantage server (its errors, rate limits and budget share), bars kept current from
quotes, 52-week ranges, and a real scheduler filling in the history of new picks."""

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from stockmon.app.queries import latest_quotes
from stockmon.domain.daily import daily_bars, history_loaded, year_ranges
from stockmon.domain.models import FetchStatus, Symbol, utcnow
from stockmon.domain.watchlists import save_picks
from stockmon.providers import DemoProvider
from stockmon.scheduler.backfill import Backfill, record_todays_bars
from stockmon.scheduler.budget import Limits
from stockmon.scheduler.ingest import Refresher
from tests.conftest import Clock, av_provider, to_next_cycle
from tests.fake_alphavantage import EARNINGS_SUBJECT, FakeAlphaVantage, Received
from tests.running import scheduler_process

FREE = Limits(per_minute=5, per_day=25)
SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "KO", "PEP", "IBM"]


def per_symbol(fake: FakeAlphaVantage) -> list[Received]:
    """What the fake received besides the earnings calendar (one request for every symbol)."""
    return [r for r in fake.received if r.function != EARNINGS_SUBJECT]


def test_the_demo_market_has_a_consistent_year_of_history():
    now = datetime(2026, 3, 4, 15, tzinfo=UTC)  # a Wednesday
    market = DemoProvider(seed=5, now=lambda: now)
    bars = market.daily_history("AAPL")
    assert 255 <= len(bars) <= 263  # the weekdays of a year
    days = [bar.day for bar in bars]
    assert days == sorted(set(days)) and days[-1] == date(2026, 3, 3)
    assert (days[-1] - days[0]).days < 366
    assert all(day.weekday() < 5 for day in days)
    for bar in bars:
        assert 0 < bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.volume > 0
    quote = market.fetch(["AAPL"])["AAPL"]
    assert bars[-1].close == pytest.approx(quote.previous_close)  # it ends where today starts
    assert DemoProvider(seed=5, now=lambda: now).daily_history("AAPL") == bars  # seeded
    assert DemoProvider(seed=5, now=lambda: now).daily_history("MSFT") != bars


def test_a_backfill_stores_the_history_and_spends_one_counted_request(engine, fake_av, clock):
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.2, clock)
    assert backfill.run(["IBM"]) == 1
    assert [(r.function, r.symbol) for r in per_symbol(fake_av)] == [("TIME_SERIES_DAILY", "IBM")]
    assert fake_av.requests[-1]["outputsize"] == "compact"
    assert budget.spent_since(clock().replace(hour=0)) == 2  # and the earnings calendar
    bars = daily_bars(engine, ["IBM"], None)
    assert len(bars) == 100 and bars["day"].is_monotonic_increasing
    assert history_loaded(engine, ["IBM", "KO"]) == {"IBM"}
    year = year_ranges(engine, clock().date())["IBM"]
    assert year.low == bars["low"].min() and year.high == bars["high"].max()
    backfill.run(["IBM"])  # the history is never fetched again (its 52-week range is)
    backfill.run(["IBM"])
    assert [r.function for r in per_symbol(fake_av)] == ["TIME_SERIES_DAILY", "OVERVIEW"]


@pytest.mark.parametrize("behaviour", ["error", "http500", "html", "empty", "malformed"])
def test_a_failed_backfill_is_recorded_and_tried_again_hours_later(
    engine, fake_av, clock, behaviour
):
    fake_av.script["IBM"] = behaviour
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.2, clock)
    assert backfill.run(["IBM"]) == 0
    with engine.connect() as conn:
        error = conn.execute(
            select(FetchStatus.history_error).where(FetchStatus.symbol == "IBM")
        ).scalar_one()
    assert error and fake_av.api_key not in error
    sent = len(per_symbol(fake_av))
    clock.advance(hours=1)
    backfill.run(["IBM"])
    assert len(per_symbol(fake_av)) == sent  # not before six hours
    fake_av.script["IBM"] = "ok"
    clock.advance(hours=6)
    assert backfill.run(["IBM"]) == 1


def test_a_rate_limited_backfill_waits_without_recording_a_failure(engine, fake_av, clock):
    fake_av.script["IBM"] = "note"
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.2, clock)
    assert backfill.run(["IBM"]) == 0
    assert backfill.due(["IBM"]) == ["IBM"]


def test_a_day_on_the_free_plan_leaves_quotes_at_least_four_fifths(engine, fake_av):
    """Ten new symbols on a trading day with 25 requests: history takes at most its 20 %."""
    clock = Clock(datetime(2026, 3, 4, 0, tzinfo=UTC))  # a Wednesday, from midnight UTC
    fake_av.now = lambda: clock().timestamp()
    provider, budget = av_provider(engine, fake_av, clock, FREE)
    refresher = Refresher(engine, provider, budget, SYMBOLS, now=clock)
    backfill = Backfill(engine, provider, budget, 0.2, clock)
    while clock() < datetime(2026, 3, 5, tzinfo=UTC):
        refresher.run_cycle()
        backfill.run(SYMBOLS)
        to_next_cycle(clock, minutes=5)
    sent = Counter(r.function for r in fake_av.received)
    assert sent["TIME_SERIES_DAILY"] == 4 and sent[EARNINGS_SUBJECT] == 1
    assert sent["GLOBAL_QUOTE"] >= 0.8 * FREE.per_day
    assert fake_av.over_limits(FREE.per_minute, FREE.per_day) == 0
    assert len(history_loaded(engine, SYMBOLS)) == 4


def test_todays_bar_follows_the_quotes(engine, clock):
    market = DemoProvider(seed=2, now=clock)
    refresher = Refresher(engine, market, None, ["AAPL"], now=clock)
    refresher.run_cycle()
    assert record_todays_bars(engine) == 1
    clock.advance(minutes=30)
    refresher.run_cycle()
    record_todays_bars(engine)
    quote = latest_quotes(engine, ["AAPL"]).iloc[0]
    bars = daily_bars(engine, ["AAPL"], None)
    assert len(bars) == 1
    today = bars.iloc[0]
    assert today["close"] == quote["price"] and today["high"] == quote["high"]
    assert today["day"].date() == quote["latest_trading_day"]


def test_a_running_scheduler_fills_in_the_history_of_new_picks(
    tmp_path, database_url, engine, user_id
):
    save_picks(engine, user_id, ["AAPL", "TSLA", "KO"])
    with scheduler_process(tmp_path, database_url, refresh_seconds=5):
        deadline = time.monotonic() + 90
        while history_loaded(engine, ["AAPL", "TSLA", "KO"]) != {"AAPL", "TSLA", "KO"}:
            assert time.monotonic() < deadline, "history never arrived"
            time.sleep(0.5)
    ranges = year_ranges(engine, utcnow().date())
    assert set(ranges) >= {"AAPL", "TSLA", "KO"} and ranges["KO"].days >= 250


def test_less_than_a_year_of_bars_is_widened_by_the_providers_range(engine, fake_av, clock):
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.2, clock)
    backfill.run(["IBM"])  # its 100 days of history
    clock.advance(minutes=1)
    backfill.run(["IBM"])  # then, bars short of a year, the provider's 52-week range
    assert [r.function for r in per_symbol(fake_av)] == ["TIME_SERIES_DAILY", "OVERVIEW"]
    year = year_ranges(engine, clock().date())["IBM"]
    assert (year.low, year.high) == (78.49, 156.98)  # what the server sent
    with engine.connect() as conn:
        facts = conn.execute(
            select(Symbol.sector, Symbol.market_cap, Symbol.pe_ratio).where(Symbol.symbol == "IBM")
        ).one()
    assert tuple(facts) == ("TECHNOLOGY", 3435123456789.0, 34.5)  # its facts, in the same answer
    clock.advance(hours=1)
    backfill.run(["IBM"])
    assert len(per_symbol(fake_av)) == 2  # at most daily
    clock.advance(days=1)
    backfill.run(["IBM"])
    assert len(per_symbol(fake_av)) == 3


@pytest.mark.parametrize("behaviour", ["empty", "error", "html", "note"])
def test_a_missing_provider_range_leaves_the_bars_range(engine, fake_av, clock, behaviour):
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.2, clock)
    backfill.run(["IBM"])
    fake_av.script["IBM"] = behaviour
    clock.advance(minutes=1)
    backfill.run(["IBM"])
    bars = daily_bars(engine, ["IBM"], None)
    year = year_ranges(engine, clock().date())["IBM"]
    assert (year.low, year.high) == (bars["low"].min(), bars["high"].max())
    assert [r.function for r in per_symbol(fake_av)] == ["TIME_SERIES_DAILY", "OVERVIEW"]


def test_the_demo_market_gives_its_facts_once_a_day_after_its_bars(engine, clock):
    market = DemoProvider(seed=4, now=clock)
    backfill = Backfill(engine, market, None, 0.2, clock)
    assert backfill.facts_due(["AAPL"]) == []  # the year of bars comes first
    backfill.run(["AAPL"])  # with no budget to share: the bars, then the facts
    assert backfill.facts_due(["AAPL"]) == []
    with engine.connect() as conn:
        cap, pe = conn.execute(
            select(Symbol.market_cap, Symbol.pe_ratio).where(Symbol.symbol == "AAPL")
        ).one()
    assert cap > 0 and 8 <= pe <= 45
    clock.advance(days=1)
    assert backfill.facts_due(["AAPL"]) == ["AAPL"]


def test_52_week_alerts_use_the_providers_range_while_history_is_short(engine, user_id):
    from sqlalchemy import update

    from stockmon.domain.alert_rules import create_rule
    from stockmon.domain.db import upsert
    from stockmon.domain.models import DailyBar, Symbol
    from tests.conftest import quote_arrives

    today = utcnow().date()
    bars = [
        {"symbol": "AAPL", "day": today - timedelta(days=back), "open": 150.0, "high": 200.0,
         "low": 120.0, "close": 150.0, "volume": 1000}
        for back in range(1, 30)
    ]  # fmt: skip
    with engine.begin() as conn:
        upsert(conn, DailyBar.__table__, bars, keys=["symbol", "day"])
        conn.execute(update(Symbol).where(Symbol.symbol == "AAPL").values(year_high=250.0))
    create_rule(engine, user_id, "AAPL", "high_52w", 0)
    assert quote_arrives(engine, "AAPL", 210.0) == 0  # above the bars' high, not the year's
    assert quote_arrives(engine, "AAPL", 251.0) == 1
