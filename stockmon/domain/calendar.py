"""When each listing's exchange trades, from the maintained ``exchange-calendars`` package
(holidays, half days and weekends included).

Each exchange's sessions are loaded once into arrays of UTC open and close times with the
trading time before each session summed up, so "trading minutes between two instants" is two
binary searches, cheap enough to ask for every symbol in every cycle.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import exchange_calendars as xcals
import numpy as np

DEFAULT_MARKET = "XNYS"
ALWAYS_OPEN = "24/7"
# Providers mark non-US listings with a suffix (Alpha Vantage "TSCO.LON", Finnhub "TSCO.L"); a
# suffix not named here (a class share: "BRK.B") is a US listing. The catalog names US exchanges.
SUFFIX_MARKETS = {
    # Alpha Vantage
    "LON": "XLON",
    "TRT": "XTSE",
    "TO": "XTSE",
    "TRV": "XTSX",
    "DEX": "XETR",
    "FRK": "XFRA",
    "BSE": "XBOM",
    "NSE": "XBOM",  # India's two exchanges keep the same hours and holidays
    "SHH": "XSHG",
    "SHZ": "XSHG",  # Shanghai and Shenzhen likewise
    "HKG": "XHKG",
    "TYO": "XTKS",
    "PAR": "XPAR",
    "AMS": "XAMS",
    "SAO": "BVMF",
    # Finnhub
    "L": "XLON",
    "V": "XTSX",
    "DE": "XETR",
    "F": "XFRA",
    "BO": "XBOM",
    "NS": "XBOM",
    "SS": "XSHG",
    "SZ": "XSHG",
    "HK": "XHKG",
    "T": "XTKS",
    "PA": "XPAR",
    "AS": "XAMS",
    "SA": "BVMF",
    "MX": "XMEX",
    "SW": "XSWX",
    "AX": "XASX",
    "KS": "XKRX",
    "MI": "XMIL",
    "MC": "XMAD",
}
EXCHANGE_MARKETS = {"NASDAQ": "XNYS", "NYSE": "XNYS", "NYSE ARCA": "XNYS", "AMEX": "XNYS"}
# US extended hours: pre-market from 04:00 to the 09:30 open, after hours until 20:00.
EXTENDED_HOURS = {"XNYS": (timedelta(hours=5, minutes=30), timedelta(hours=4))}


@dataclass(frozen=True)
class MarketStatus:
    """Where a market stands at one instant."""

    state: str  # "open", "pre-market", "after hours" or "closed"
    last_close: datetime | None
    next_change: datetime | None  # the close when open, else the next open


def market_of(symbol: str, exchange: str = "") -> str:
    """The exchange-calendars code of the market a symbol trades on (New York by default)."""
    _, dot, suffix = symbol.rpartition(".")
    if dot and suffix.upper() in SUFFIX_MARKETS:
        return SUFFIX_MARKETS[suffix.upper()]
    return EXCHANGE_MARKETS.get(exchange.strip().upper(), DEFAULT_MARKET)


def is_us_listing(symbol: str, exchange: str = "") -> bool:
    """Whether a listing trades in New York: the market of every provider's US plan."""
    return market_of(symbol, exchange) == DEFAULT_MARKET


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class Market:
    """One exchange's trading periods (sessions, split at lunch breaks) as UTC epoch seconds."""

    code: str
    opens: np.ndarray
    closes: np.ndarray
    traded_before: np.ndarray  # trading seconds in all periods before each one

    def _traded_until(self, seconds: float) -> float:
        index = int(np.searchsorted(self.opens, seconds, side="right")) - 1
        if index < 0:
            return 0.0
        inside = min(seconds, self.closes[index]) - self.opens[index]
        return float(self.traded_before[index] + max(inside, 0.0))

    def trading_time(self, start: datetime, end: datetime) -> timedelta:
        """Trading time between two instants (zero when ``end`` is not after ``start``)."""
        if end <= start:
            return timedelta(0)
        traded = self._traded_until(_seconds(end)) - self._traded_until(_seconds(start))
        return timedelta(seconds=traded)

    def after_trading(self, start: datetime, trading: timedelta) -> datetime | None:
        """The instant by which ``trading`` time has traded since ``start`` (None: past the
        calendar's horizon)."""
        target = self._traded_until(_seconds(start)) + trading.total_seconds()
        ends = self.traded_before + (self.closes - self.opens)
        index = int(np.searchsorted(ends, target, side="left"))
        if index >= len(self.opens):
            return None
        return _moment(self.opens[index] + max(target - self.traded_before[index], 0.0))

    def is_open(self, moment: datetime) -> bool:
        seconds = _seconds(moment)
        index = int(np.searchsorted(self.opens, seconds, side="right")) - 1
        return index >= 0 and seconds < self.closes[index]

    def last_close(self, moment: datetime) -> datetime | None:
        """The latest period end at or before ``moment``."""
        index = int(np.searchsorted(self.closes, _seconds(moment), side="right")) - 1
        return _moment(self.closes[index]) if index >= 0 else None

    def next_open(self, moment: datetime) -> datetime | None:
        """The first period start after ``moment`` (None past the calendar's horizon)."""
        index = int(np.searchsorted(self.opens, _seconds(moment), side="right"))
        return _moment(self.opens[index]) if index < len(self.opens) else None

    def status(self, moment: datetime) -> MarketStatus:
        """Open, closed, or (where the exchange has them) in pre-market or after hours."""
        last_close, next_open = self.last_close(moment), self.next_open(moment)
        if self.is_open(moment):
            index = int(np.searchsorted(self.opens, _seconds(moment), side="right")) - 1
            return MarketStatus("open", last_close, _moment(self.closes[index]))
        state = "closed"
        if self.code in EXTENDED_HOURS:
            before_open, after_close = EXTENDED_HOURS[self.code]
            if next_open is not None and next_open - moment <= before_open:
                state = "pre-market"
            elif last_close is not None and moment - last_close <= after_close:
                state = "after hours"
        return MarketStatus(state, last_close, next_open)

    def day_trading_time(self, moment: datetime) -> tuple[timedelta, timedelta]:
        """Trading time on ``moment``'s UTC day: (so far, in all)."""
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        whole = self.trading_time(midnight, midnight + timedelta(days=1))
        return self.trading_time(midnight, moment), whole


@cache
def market(code: str) -> Market:
    """The trading periods of exchange ``code`` (``XNYS``, ``XLON``, ...), loaded once;
    ``ALWAYS_OPEN`` is a market that never closes."""
    if code == ALWAYS_OPEN:
        forever = np.array([0.0]), np.array([float(2**40)])
        return Market(code, *forever, np.array([0.0]))
    with warnings.catch_warnings():  # exchange-calendars 4.13 trips a pandas 3 deprecation
        warnings.simplefilter("ignore", category=DeprecationWarning)
        calendar = xcals.get_calendar(code)
    schedule = calendar.schedule
    periods: list[tuple[float, float]] = []
    for row in schedule.itertuples():
        opens, closes = row.open.timestamp(), row.close.timestamp()
        break_start, break_end = getattr(row, "break_start", None), getattr(row, "break_end", None)
        if break_start is not None and break_end is not None and break_start == break_start:
            periods += [(opens, break_start.timestamp()), (break_end.timestamp(), closes)]
        else:
            periods.append((opens, closes))
    starts = np.array([start for start, _ in periods])
    ends = np.array([end for _, end in periods])
    before = np.concatenate(([0.0], np.cumsum(ends - starts)[:-1]))
    return Market(code, starts, ends, before)
