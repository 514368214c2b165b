"""Earnings dates: the providers' calendars over real HTTP, the scheduler's daily ask within the
budget share, and what is stored when a calendar misbehaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from stockmon.domain import earnings
from stockmon.domain.earnings import EarningsDate, ReportTime, badge, upcoming
from stockmon.domain.models import EarningsReport
from stockmon.providers import DemoProvider
from stockmon.providers.base import Paused, ProviderError, RateLimited
from stockmon.providers.earnings_answers import parse_alpha_vantage, parse_finnhub
from stockmon.providers.finnhub import FinnhubProvider
from stockmon.scheduler.backfill import Backfill
from stockmon.scheduler.budget import Limits
from tests.conftest import CLIENT_TIMEOUT, av_provider
from tests.fake_alphavantage import EARNINGS_HEADER, EARNINGS_SUBJECT
from tests.fake_finnhub import EARNINGS_ROUTE, FakeFinnhub

TODAY = datetime.now(UTC).date()
NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def calendars_from_today(request):
    """The fake calendars count their days from the day this module counts from, so a run
    across midnight (UTC) expects what they answer."""
    for name in ("fake_av", "fake_fh"):
        if name in request.fixturenames:
            request.getfixturevalue(name).calendar_start = TODAY


def finnhub(fake: FakeFinnhub) -> FinnhubProvider:
    return FinnhubProvider(fake.api_key, fake.url, timeout=CLIENT_TIMEOUT, retry_wait=0)


def in_days(days: int) -> date:
    return TODAY + timedelta(days=days)


def test_alpha_vantage_gives_every_tracked_symbols_report_in_one_request(engine, fake_av, clock):
    provider, budget = av_provider(engine, fake_av, clock)
    reports = provider.earnings(["IBM", "AAPL", "MSFT", "TSCO.LON"])
    assert reports == [
        EarningsDate("IBM", in_days(2), ReportTime.UNKNOWN, in_days(2 - 35), 1.23),
        EarningsDate("AAPL", in_days(9), ReportTime.AFTER_CLOSE, in_days(9 - 35), 1.23),
        EarningsDate("MSFT", in_days(20), ReportTime.BEFORE_OPEN, in_days(20 - 35), 1.23),
    ]  # a listing the calendar does not hold has no report; an untracked one is left out
    assert [(r.function, r.symbol) for r in fake_av.received] == [
        (EARNINGS_SUBJECT, EARNINGS_SUBJECT)
    ]
    assert fake_av.requests[0]["horizon"] == "3month"
    assert budget.spent_since(clock() - timedelta(days=1)) == 1


@pytest.mark.parametrize(
    ("behaviour", "raised"),
    [
        ("information", RateLimited),
        ("note", RateLimited),
        ("burst", Paused),
        ("premium", ProviderError),
        ("error", ProviderError),
        ("http500", ProviderError),
        ("html", ProviderError),
        ("not_json", ProviderError),
    ],
)
def test_an_alpha_vantage_calendar_refusal_is_told_apart(engine, fake_av, clock, behaviour, raised):
    fake_av.script[EARNINGS_SUBJECT] = behaviour
    provider, _ = av_provider(engine, fake_av, clock)
    with pytest.raises(raised) as caught:
        provider.earnings(["IBM"])
    assert fake_av.api_key not in str(caught.value)


def test_a_garbled_alpha_vantage_row_is_left_out_never_guessed():
    text = "\n".join(
        [
            EARNINGS_HEADER,
            f"IBM,IBM,{in_days(3)},,None,USD,post-market",  # no fiscal end, no estimate
            "AAPL,Apple,30/01/2027,2026-12-31,2.1,USD,pre-market",  # not an ISO day
            f"MSFT,Microsoft,{in_days(-2)},2026-09-30,3.0,USD,",  # already past
            f'KO,"Coca-Cola, ""the""",{in_days(40)},2026-12-31,nan,USD,sometime',
            f"KO,Coca-Cola,{in_days(130)},2027-03-31,0.7,USD,pre-market",  # a later one
            "\x00\x01,<script>,,,,,",
        ]
    )
    reports = parse_alpha_vantage(text, ["IBM", "AAPL", "MSFT", "KO"], NOW)
    assert reports == [
        EarningsDate("IBM", in_days(3), ReportTime.AFTER_CLOSE, None, None),
        EarningsDate("KO", in_days(40), ReportTime.UNKNOWN, date(2026, 12, 31), None),
    ]


@pytest.mark.parametrize(
    "text", ["", "symbol,name\nIBM,IBM\n", '{"bestMatches": []}', "<html>502</html>"]
)
def test_an_answer_that_is_not_the_calendar_is_an_error(text):
    with pytest.raises(ProviderError):
        parse_alpha_vantage(text, ["IBM"], NOW)


def test_finnhub_gives_the_reports_within_the_horizon_in_one_request(fake_fh):
    provider = finnhub(fake_fh)
    reports = provider.earnings(["AAPL", "NVDA", "MSFT", "SPY"])
    assert reports == [
        EarningsDate("NVDA", in_days(3), ReportTime.DURING_MARKET, None, 1.5),
        EarningsDate("AAPL", in_days(9), ReportTime.AFTER_CLOSE, None, 1.5),
        EarningsDate("MSFT", in_days(20), ReportTime.BEFORE_OPEN, None, 1.5),
    ]
    (asked,) = fake_fh.received
    assert asked.path == EARNINGS_ROUTE and not asked.query_token
    assert f"from={TODAY}" in asked.query and f"to={TODAY + earnings.HORIZON}" in asked.query


@pytest.mark.parametrize("behaviour", ["forbidden", "http429", "http502", "html", "json_list"])
def test_a_finnhub_calendar_refusal_is_an_error(fake_fh, behaviour):
    fake_fh.script[EARNINGS_ROUTE] = behaviour
    provider = finnhub(fake_fh)
    with pytest.raises(ProviderError):
        provider.earnings(["AAPL"])


def test_garbled_finnhub_rows_are_left_out():
    body = {
        "earningsCalendar": [
            {"symbol": "AAPL", "date": f"{in_days(4)}", "hour": "amc", "epsEstimate": "n/a"},
            {"symbol": "MSFT", "date": None, "hour": "bmo"},
            {"symbol": ["AAPL"], "date": f"{in_days(1)}"},
            "AAPL",
            {"symbol": "NVDA", "date": f"{in_days(2)}", "hour": "sometime", "epsEstimate": True},
        ]
    }
    assert parse_finnhub(body, ["AAPL", "MSFT", "NVDA"], NOW) == [
        EarningsDate("NVDA", in_days(2), ReportTime.UNKNOWN, None, None),
        EarningsDate("AAPL", in_days(4), ReportTime.AFTER_CLOSE, None, None),
    ]
    with pytest.raises(ProviderError):
        parse_finnhub({"earningsCalendar": {}}, ["AAPL"], NOW)


def test_the_demo_market_reports_quarterly_on_a_weekday_the_same_every_run(clock):
    market = DemoProvider(seed=1, now=clock)
    reports = {r.symbol: r for r in market.earnings(["AAPL", "MSFT", "KO"])}
    assert set(reports) == {"AAPL", "MSFT", "KO"}
    for report in reports.values():
        assert clock().date() <= report.day <= clock().date() + timedelta(days=93)
        assert report.day.weekday() < 5 and report.time in ReportTime
    assert DemoProvider(seed=1, now=clock).earnings(["AAPL"]) == [reports["AAPL"]]
    clock.advance(days=(reports["AAPL"].day - clock().date()).days + 1)  # the day after
    (following,) = DemoProvider(seed=1, now=clock).earnings(["AAPL"])
    assert 85 <= (following.day - reports["AAPL"].day).days <= 95


def stored(engine) -> dict[str, EarningsReport]:
    with engine.connect() as conn:
        return {row.symbol: row for row in conn.execute(select(EarningsReport))}


def test_the_scheduler_asks_the_calendar_once_a_day_for_every_symbol(engine, fake_av, clock):
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.5, clock)
    symbols = ["IBM", "AAPL", "TSCO.LON"]
    for _ in range(6):  # the calendar first, then the history of each, one a call
        backfill.run(symbols)
    assert fake_av.received[0].function == EARNINGS_SUBJECT
    calendar_asks = [r for r in fake_av.received if r.function == EARNINGS_SUBJECT]
    assert len(calendar_asks) == 1
    rows = stored(engine)
    assert rows["AAPL"].report_day == in_days(9) and rows["AAPL"].report_time == "after close"
    assert rows["TSCO.LON"].report_day is None  # asked: the calendar holds no report
    assert set(upcoming(engine, symbols, NOW)) == {"IBM", "AAPL"}
    clock.advance(hours=23)
    backfill.run(symbols)
    assert sum(r.function == EARNINGS_SUBJECT for r in fake_av.received) == 1
    clock.advance(hours=2)
    for _ in range(3):
        backfill.run(symbols)
    assert sum(r.function == EARNINGS_SUBJECT for r in fake_av.received) == 2


def test_a_new_symbol_waits_for_the_next_ask_hours_later_not_a_request_of_its_own(
    engine, fake_av, clock
):
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.5, clock)
    backfill.load_earnings(["IBM"])
    clock.advance(hours=1)
    assert not backfill.load_earnings(["IBM", "MSFT"])
    clock.advance(hours=6)
    assert backfill.load_earnings(["IBM", "MSFT"])
    assert fake_av.requests[-1]["function"] == EARNINGS_SUBJECT
    assert stored(engine)["MSFT"].report_day == in_days(20)


def test_a_failed_ask_keeps_the_stored_dates_and_is_tried_again_hours_later(engine, fake_av, clock):
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.5, clock)
    assert backfill.load_earnings(["AAPL"])
    clock.advance(days=1)
    fake_av.script[EARNINGS_SUBJECT] = "html"
    assert backfill.load_earnings(["AAPL", "KO"])  # asked, and failed
    rows = stored(engine)
    assert rows["AAPL"].report_day == in_days(9) and rows["AAPL"].error
    assert rows["KO"].report_day is None and rows["KO"].error
    fake_av.script[EARNINGS_SUBJECT] = "ok"
    clock.advance(hours=3)
    assert not backfill.load_earnings(["AAPL", "KO"])
    clock.advance(hours=4)
    assert backfill.load_earnings(["AAPL", "KO"])
    rows = stored(engine)
    assert rows["KO"].report_day == in_days(61) and rows["KO"].error is None


def test_a_rate_limited_ask_records_nothing(engine, fake_av, clock):
    fake_av.script[EARNINGS_SUBJECT] = "information"
    provider, budget = av_provider(engine, fake_av, clock)
    backfill = Backfill(engine, provider, budget, 0.5, clock)
    assert not backfill.load_earnings(["AAPL"])
    assert stored(engine) == {}


def test_calendar_asks_count_in_the_backfills_share_of_the_day(engine, fake_av, clock):
    free = Limits(per_minute=5, per_day=25)
    provider, budget = av_provider(engine, fake_av, clock, free)
    backfill = Backfill(engine, provider, budget, 0.2, clock)  # 5 requests a day
    symbols = ["IBM", "AAPL", "MSFT", "KO", "TSCO.LON", "SPY"]
    for _ in range(20):
        backfill.run(symbols)
        clock.advance(minutes=5)
    asked = [r.function for r in fake_av.received]
    assert len(asked) == 5 and asked.count(EARNINGS_SUBJECT) == 1


def test_the_demo_market_dates_every_symbol_at_once(engine, clock):
    backfill = Backfill(engine, DemoProvider(seed=2, now=clock), None, 0.2, clock)
    backfill.run(["AAPL", "MSFT"])
    assert set(upcoming(engine, ["AAPL", "MSFT"], clock())) == {"AAPL", "MSFT"}
    backfill.run(["AAPL", "MSFT", "KO"])  # no budget: a new pick is dated at once
    assert stored(engine)["KO"].report_day is not None


@pytest.mark.parametrize(
    ("days", "time", "expected"),
    [
        (0, ReportTime.AFTER_CLOSE, "Earnings today, after close"),
        (1, ReportTime.BEFORE_OPEN, "Earnings tomorrow, before open"),
        (5, ReportTime.UNKNOWN, "Earnings Mon 14 Dec"),
        (40, ReportTime.DURING_MARKET, "Earnings Mon 18 Jan 2027, during market hours"),
    ],
)
def test_a_report_reads_as_a_few_words(days, time, expected):
    now = datetime(2026, 12, 9, 15, tzinfo=UTC)
    report = EarningsDate("AAPL", now.date() + timedelta(days=days), time)
    assert badge(report, now) == expected


def test_finnhub_reports_are_stored_by_the_scheduler_within_its_budget(engine, fake_fh, clock):
    from stockmon.scheduler.budget import RequestBudget

    budget = RequestBudget(engine, "finnhub", Limits(per_minute=60, per_day=0), now=clock)
    provider = FinnhubProvider(fake_fh.api_key, fake_fh.url, gate=budget.take, retry_wait=0)
    backfill = Backfill(engine, provider, budget, 0.2, clock)
    backfill.run(["AAPL", "NVDA", "SPY"])
    rows = stored(engine)
    assert rows["NVDA"].report_time == "during market hours" and rows["SPY"].report_day is None
    assert [r.path for r in fake_fh.received].count(EARNINGS_ROUTE) == 1
    assert budget.spent_since(clock() - timedelta(minutes=1)) == len(fake_fh.received)
