"""Daily history as the app reads it: each symbol's daily bars, its 52-week range, and how far
the scheduler's backfill has come."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from stockmon.models import FULL_YEAR_BARS, DailyBar, FetchStatus, Symbol

YEAR = timedelta(days=365)
BAR_COLUMNS = ["symbol", "day", "open", "high", "low", "close", "volume"]


@dataclass(frozen=True)
class YearRange:
    low: float
    high: float
    days: int  # bars behind the range: under a year's worth, the range is partial

    def position(self, price: float) -> float | None:
        """Where ``price`` stands in the range, 0 (the low) to 100 (the high)."""
        if self.high <= self.low:
            return None
        return min(max((price - self.low) / (self.high - self.low) * 100, 0.0), 100.0)


def daily_bars(engine: Engine, symbols: Sequence[str], since: date | None) -> pd.DataFrame:
    """The bars of ``symbols`` from ``since`` (None: all), oldest first."""
    query = select(
        DailyBar.symbol,
        DailyBar.day,
        DailyBar.open,
        DailyBar.high,
        DailyBar.low,
        DailyBar.close,
        DailyBar.volume,
    ).where(DailyBar.symbol.in_(list(symbols)))
    if since is not None:
        query = query.where(DailyBar.day >= since)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(DailyBar.symbol, DailyBar.day)).all()
    frame = pd.DataFrame(rows, columns=BAR_COLUMNS)
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def bars_as_prices(bars: pd.DataFrame) -> pd.DataFrame:
    """Daily closes as a price series (symbol, ts, price), each at midday UTC of its day, so
    the day is the same in every time zone people use."""
    return pd.DataFrame(
        {
            "symbol": bars["symbol"],
            "ts": (bars["day"] + pd.Timedelta(hours=12)).dt.tz_localize("UTC"),
            "price": bars["close"].astype("float64"),
        }
    )


def year_ranges(engine: Engine, today: date) -> dict[str, YearRange]:
    """Every symbol's lowest low and highest high over the last 52 weeks of daily bars; while
    the bars cover less than a year, widened by the provider's own 52-week range."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                DailyBar.symbol,
                func.min(DailyBar.low),
                func.max(DailyBar.high),
                func.count(),
                Symbol.year_low,
                Symbol.year_high,
            )
            .outerjoin(Symbol, Symbol.symbol == DailyBar.symbol)
            .where(DailyBar.day > today - YEAR)
            .group_by(DailyBar.symbol, Symbol.year_low, Symbol.year_high)
        ).all()
    ranges = {}
    for symbol, low, high, days, provider_low, provider_high in rows:
        if days < FULL_YEAR_BARS and provider_low is not None and provider_high is not None:
            low, high = min(low, provider_low), max(high, provider_high)
        ranges[symbol] = YearRange(low, high, days)
    return ranges


def history_loaded(engine: Engine, symbols: Sequence[str]) -> set[str]:
    """Which of ``symbols`` the scheduler has fetched the daily history of."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(FetchStatus.symbol).where(
                    FetchStatus.symbol.in_(list(symbols)),
                    FetchStatus.history_loaded_at.is_not(None),
                )
            ).scalars()
        )
