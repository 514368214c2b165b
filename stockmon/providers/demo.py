"""An offline market: each symbol follows a random walk from a realistic price, day by day.

Within one (UTC) day a symbol's open, high, low, volume and previous close stay consistent with
the prices it has shown; at the turn of the day the last price becomes the previous close. With a
seed, the same sequence of fetch times gives the same quotes.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from stockmon.domain.catalog import Listing, demo_listings, match_listings
from stockmon.domain.data_class import DataClass
from stockmon.domain.earnings import EarningsDate, ReportTime, today
from stockmon.providers.base import (
    DailyBarData,
    FetchResult,
    ListingFacts,
    QuoteData,
    StoredQuote,
)

MINUTE_VOLATILITY = 0.0015  # standard deviation of the log return over one minute
HISTORY_DAYS = 365  # calendar days of daily bars a new symbol gets
DAILY_VOLATILITY = 0.015  # standard deviation of a day's log return
MIN_STEP_MINUTES = 0.25  # prices move a little even between fetches a second apart
PROVIDER_MATCHES = 10  # a search answers at most this many listings, as Alpha Vantage does
QUARTER_DAYS = 91  # a simulated company reports every this many days


@dataclass
class _Walk:
    rng: random.Random
    day: date
    previous_close: float
    open: float
    high: float
    low: float
    last: float
    volume: int
    daily_volume: int
    last_tick: datetime


def _stable_fraction(text: str) -> float:
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _next_report(start: date, phase: int) -> date:
    """The first report day from ``start`` on, of a company whose reports fall every quarter on
    the day ``phase`` sets (a weekend's moved to the Monday after)."""
    weekend = timedelta(days=2)  # a Saturday's report, moved, can fall 2 days later
    day = start - weekend + timedelta(days=(phase - (start - weekend).toordinal()) % QUARTER_DAYS)
    while True:
        shown = day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)
        if shown >= start:
            return shown
        day += timedelta(days=QUARTER_DAYS)


def _quarter_end_before(report: date) -> date:
    """The last calendar quarter's end at least two weeks before a report: what it reports on."""
    latest = report - timedelta(days=14)
    quarter_start = date(latest.year, 3 * ((latest.month - 1) // 3) + 1, 1)
    return quarter_start - timedelta(days=1)


class DemoProvider:
    name = "demo"
    rate_limited = False
    batch_size = 500
    plan = "offline demo market"
    data_class = DataClass.SIMULATED

    def __init__(
        self, seed: int | None = None, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self._now = now
        self._reference = {listing.symbol: price for listing, price in demo_listings()}
        self._walks: dict[str, _Walk] = {}

    def resume(self, quotes: Iterable[StoredQuote]) -> None:
        """Continue from stored quotes, so a restarted market does not jump back to its start."""
        for quote in quotes:
            if quote.open is None or quote.high is None or quote.low is None:
                continue
            rng = random.Random(f"{self._seed}:{quote.symbol}")
            self._walks[quote.symbol] = _Walk(
                rng=rng,
                day=quote.latest_trading_day or quote.fetched_at.date(),
                previous_close=quote.previous_close or quote.price,
                open=quote.open,
                high=quote.high,
                low=quote.low,
                last=quote.price,
                volume=quote.volume or 0,
                daily_volume=int(10 ** rng.uniform(5.5, 7.7)),
                last_tick=quote.fetched_at,
            )

    def fetch(self, symbols: Sequence[str]) -> dict[str, FetchResult]:
        now = self._now()
        return {symbol: self._quote(symbol, now) for symbol in symbols}

    def daily_history(self, symbol: str) -> list[DailyBarData]:
        """A year of weekday bars ending the day before today's quote, at its previous close:
        the same seed gives the same bars, and they agree with the quotes shown."""
        now = self._now()
        if symbol not in self._walks:
            self._walks[symbol] = self._start(symbol, now)
        walk = self._walks[symbol]
        rng = random.Random(f"{self._seed}:{symbol}:history")
        bars: list[DailyBarData] = []
        close = walk.previous_close
        day = walk.day
        while (walk.day - day).days < HISTORY_DAYS:
            day -= timedelta(days=1)
            if day.weekday() >= 5:
                continue
            opening = close * math.exp(rng.gauss(0, DAILY_VOLATILITY))
            high = max(opening, close) * (1 + abs(rng.gauss(0, DAILY_VOLATILITY / 3)))
            low = min(opening, close) * (1 - abs(rng.gauss(0, DAILY_VOLATILITY / 3)))
            volume = int(walk.daily_volume * rng.uniform(0.6, 1.4))
            bars.append(DailyBarData(day, opening, high, low, close, volume))
            close = opening * math.exp(rng.gauss(0, DAILY_VOLATILITY / 4))  # the night before
        return bars[::-1]

    def facts(self, symbol: str) -> ListingFacts:
        """The range of the year of bars the market shows, and a simulated company's market
        capitalisation and P/E at the last close (shares and earnings drawn from the seed):
        no request, no budget. No sector: a made-up one would read as a fact."""
        bars = self.daily_history(symbol)
        rng = random.Random(f"{self._seed}:{symbol}:facts")
        close = bars[-1].close
        shares = 10 ** rng.uniform(8, 10.2)
        return ListingFacts(
            min(bar.low for bar in bars),
            max(bar.high for bar in bars),
            market_cap=close * shares,
            pe_ratio=rng.uniform(8, 45),
        )

    def earnings(self, symbols: Sequence[str]) -> list[EarningsDate]:
        """Each symbol's next simulated report, quarterly: its weekday, its time (before the
        open or after the close) and its estimate follow from the symbol alone, so a restarted
        market announces the same; no request, no budget."""
        start = today(self._now())
        reports = []
        for symbol in symbols:
            day = _next_report(start, int(_stable_fraction(f"{symbol}:earnings") * QUARTER_DAYS))
            rng = random.Random(f"{symbol}:earnings")
            time = ReportTime.AFTER_CLOSE if rng.random() < 0.6 else ReportTime.BEFORE_OPEN
            estimate = round(self._reference_price(symbol) / rng.uniform(60, 160), 2)
            reports.append(EarningsDate(symbol, day, time, _quarter_end_before(day), estimate))
        return sorted(reports, key=lambda report: report.day)

    def search(self, keywords: str) -> list[Listing]:
        """The demo market's own listings that match: no request, no budget."""
        listings = (listing for listing, _price in demo_listings())
        return match_listings(keywords, listings, limit=PROVIDER_MATCHES)

    def _reference_price(self, symbol: str) -> float:
        if symbol in self._reference:
            return self._reference[symbol]
        # Unknown to the catalog: a stable price between 5 and 500, log-uniform.
        return round(5 * 100 ** _stable_fraction(symbol), 2)

    def _start(self, symbol: str, now: datetime) -> _Walk:
        rng = random.Random(f"{self._seed}:{symbol}")
        previous_close = self._reference_price(symbol) * math.exp(rng.gauss(0, 0.02))
        opening = previous_close * math.exp(rng.gauss(0, 0.008))
        daily_volume = int(10 ** rng.uniform(5.5, 7.7))
        return _Walk(
            rng=rng,
            day=now.date(),
            previous_close=previous_close,
            open=opening,
            high=opening,
            low=opening,
            last=opening,
            volume=int(daily_volume * rng.uniform(0.01, 0.05)),
            daily_volume=daily_volume,
            last_tick=now,
        )

    def _advance(self, walk: _Walk, now: datetime) -> None:
        if now.date() != walk.day:
            gap = walk.last * math.exp(walk.rng.gauss(0, 0.006))
            walk.day, walk.previous_close = now.date(), walk.last
            walk.open = walk.high = walk.low = walk.last = gap
            walk.volume = 0
        minutes = max((now - walk.last_tick).total_seconds() / 60, MIN_STEP_MINUTES)
        walk.last *= math.exp(walk.rng.gauss(0, MINUTE_VOLATILITY * math.sqrt(minutes)))
        walk.high = max(walk.high, walk.last)
        walk.low = min(walk.low, walk.last)
        walk.volume += int(walk.daily_volume / 390 * minutes * walk.rng.uniform(0.3, 1.7))
        walk.last_tick = now

    def _quote(self, symbol: str, now: datetime) -> QuoteData:
        walk = self._walks.get(symbol)
        if walk is None:
            walk = self._walks[symbol] = self._start(symbol, now)
        else:
            self._advance(walk, now)
        price = round(walk.last, 4)
        previous_close = round(walk.previous_close, 4)
        change = round(price - previous_close, 4)
        return QuoteData(
            symbol=symbol,
            price=price,
            open=round(walk.open, 4),
            high=round(walk.high, 4),
            low=round(walk.low, 4),
            previous_close=previous_close,
            change=change,
            change_percent=round(change / previous_close * 100, 4),
            volume=walk.volume,
            latest_trading_day=walk.day,
            data_class=DataClass.SIMULATED,
            market_time=now,
        )
