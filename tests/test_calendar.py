"""Trading sessions with a fixed clock: a weekday, a weekend, a holiday and a half day."""

from datetime import UTC, datetime, timedelta

import pandas as pd

from stockmon.domain.calendar import (
    ALWAYS_OPEN,
    EXCHANGE_MARKETS,
    SUFFIX_MARKETS,
    is_us_listing,
    market,
    market_of,
)
from stockmon.scheduler.budget import Limits
from stockmon.scheduler.pacing import Pacer, SymbolStatus

NYSE = market("XNYS")
FREE = Limits(per_minute=5, per_day=25)
SYMBOLS = [f"S{i}" for i in range(10)]
MARKETS = dict.fromkeys(SYMBOLS, NYSE)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_listings_find_their_exchange():
    assert market_of("AAPL", "NASDAQ") == "XNYS"
    assert market_of("TSCO.LON") == "XLON"
    assert market_of("SHOP.TRT") == "XTSE"
    assert market_of("RELIANCE.BSE") == "XBOM"
    assert market_of("BRK.B", "NYSE") == "XNYS"  # a class share, not a suffix
    assert market_of("TSCO.L") == "XLON" and market_of("7203.T") == "XTKS"  # Finnhub's suffixes


def test_every_named_market_has_a_calendar():
    """A suffix that named a calendar exchange-calendars lacks broke every page that listed it."""
    for code in {*SUFFIX_MARKETS.values(), *EXCHANGE_MARKETS.values()}:
        assert market(code).opens.size, code
    assert market_of("RELIANCE.NSE") == market_of("RELIANCE.NS") == "XBOM"


def test_us_listings_include_class_shares_and_exclude_foreign_suffixes():
    assert is_us_listing("AAPL") and is_us_listing("BRK.B") and is_us_listing("BF.B")
    assert not is_us_listing("ASML.AS") and not is_us_listing("TSCO.LON")
    assert not is_us_listing("AAPL.MX")


def test_a_weekday_trades_six_and_a_half_hours():
    assert not NYSE.is_open(at(24, 14, 29)) and NYSE.is_open(at(24, 14, 30))
    assert NYSE.day_trading_time(at(24, 16)) == (timedelta(minutes=90), timedelta(minutes=390))
    assert NYSE.last_close(at(24, 22)) == at(24, 21)


def test_a_weekend_and_a_holiday_do_not_trade():
    assert NYSE.trading_time(at(21, 0), at(23, 0)) == timedelta(0)  # Saturday and Sunday
    assert NYSE.day_trading_time(at(26, 18)) == (timedelta(0), timedelta(0))  # Thanksgiving
    assert NYSE.next_open(at(25, 22)) == at(27, 14, 30)


def test_a_half_day_closes_at_one_in_new_york():
    assert NYSE.day_trading_time(at(27, 20))[1] == timedelta(minutes=210)
    assert NYSE.last_close(at(27, 19)) == at(27, 18)


def test_pacing_spends_the_day_over_the_session():
    pacer = Pacer(FREE, batch_size=1)
    fetched = {s: SymbolStatus(at(24, 15), at(24, 15)) for s in SYMBOLS}
    assert pacer.interval(SYMBOLS, MARKETS, at(24, 16)) == timedelta(minutes=156)
    midday = pacer.plan(SYMBOLS, MARKETS, fetched, at(24, 17, 45), spent_today=0)
    assert midday.paced_slots == 13  # 195 of 390 minutes: half the day's 25, rounded up
    assert midday.free == frozenset()
    weekend = pacer.plan(SYMBOLS, MARKETS, fetched, at(28, 12), spent_today=0)
    assert weekend.paced_slots == 0
    # Tuesday's intraday quotes get their closing fetch over the weekend, free: the request
    # leaves the 24-hour window long before Monday's open.
    assert set(weekend.due) == set(weekend.free) == set(SYMBOLS)


def test_nothing_is_due_until_the_market_has_traded_again():
    pacer = Pacer(FREE, batch_size=1)
    after_close = {s: SymbolStatus(at(24, 21, 5), at(24, 21, 5)) for s in SYMBOLS}
    night = pacer.plan(SYMBOLS, MARKETS, after_close, at(25, 3), spent_today=0)
    assert night.due == [] and night.not_due == len(SYMBOLS)
    before_holiday = {s: SymbolStatus(at(25, 21, 5), at(25, 21, 5)) for s in SYMBOLS}
    holiday = pacer.plan(SYMBOLS, MARKETS, before_holiday, at(26, 18), spent_today=0)
    assert holiday.due == []
    morning = pacer.plan(SYMBOLS, MARKETS, after_close, at(25, 15), spent_today=0)
    assert len(morning.due) == len(SYMBOLS) and morning.paced_slots == 2


def test_the_half_day_gets_the_whole_budget_sooner():
    pacer = Pacer(FREE, batch_size=1)
    fetched = {s: SymbolStatus(at(27, 14, 30), at(27, 14, 30)) for s in SYMBOLS}
    assert pacer.plan(SYMBOLS, MARKETS, fetched, at(27, 18), spent_today=0).paced_slots == 25


def test_stalest_goes_first_and_a_new_symbol_before_all():
    pacer = Pacer(FREE, batch_size=1)
    statuses = {
        "S0": SymbolStatus(at(24, 15), at(24, 15)),
        "S1": SymbolStatus(at(24, 16), at(24, 14, 40)),  # last attempt failed
    }
    plan = pacer.plan(
        ["S0", "S1", "S2"],
        dict.fromkeys(["S0", "S1", "S2"], NYSE),
        statuses,
        at(24, 17),
        spent_today=0,
    )
    assert plan.due == ["S2", "S1", "S0"]
    assert plan.free == frozenset({"S2"})


def test_around_the_clock_never_closes():
    always = market(ALWAYS_OPEN)
    assert always.is_open(at(26, 3))
    assert always.trading_time(at(21, 0), at(22, 0)) == timedelta(days=1)


def quotes_of(*fetched: tuple[str, datetime]) -> pd.DataFrame:
    """A list's quotes as the dashboard has them: symbol, fetched_at and market."""
    return pd.DataFrame(
        {
            "symbol": [symbol for symbol, _ in fetched],
            "fetched_at": pd.to_datetime([moment for _, moment in fetched], utc=True),
            "market": [market_of(symbol) for symbol, _ in fetched],
        }
    )


def test_a_friday_close_is_not_stale_on_sunday():
    from stockmon.app.dashboard import quotes_are_stale
    from stockmon.app.heartbeat import SchedulerStatus

    paced = SchedulerStatus(at(20, 21), "", "alphavantage", timedelta(minutes=156), True, None)
    friday_close = quotes_of(("AAPL", at(20, 21, 5)))
    assert not quotes_are_stale(friday_close, at(22, 20), paced, timedelta(seconds=60))
    assert quotes_are_stale(friday_close, at(24, 18), paced, timedelta(seconds=60))  # Tuesday
    wall_clock = SchedulerStatus(at(20, 21), "", "demo", timedelta(seconds=10), False, None)
    assert quotes_are_stale(friday_close, at(20, 21, 7), wall_clock, timedelta(seconds=10))


def test_a_tokyo_quote_ages_on_tokyo_time_while_new_york_sleeps():
    from stockmon.app.dashboard import quotes_are_stale
    from stockmon.app.heartbeat import SchedulerStatus

    paced = SchedulerStatus(at(19, 4), "", "alphavantage", timedelta(minutes=30), True, None)
    morning = quotes_of(("7203.TYO", at(19, 0, 10)))  # Thursday 09:10 in Tokyo
    assert not quotes_are_stale(morning, at(19, 1, 30), paced, timedelta(seconds=60))
    assert quotes_are_stale(morning, at(19, 4, 40), paced, timedelta(seconds=60))  # 3 h 30 traded
    # the same age in New York's hours would have been under an hour: not stale
    assert not quotes_are_stale(quotes_of(("AAPL", at(19, 0, 10))), at(19, 4, 40), paced,
                                timedelta(seconds=60))  # fmt: skip
    both = pd.concat([morning, quotes_of(("AAPL", at(19, 0, 10)))])
    assert not quotes_are_stale(both, at(19, 4, 40), paced, timedelta(seconds=60))
