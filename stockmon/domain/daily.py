"""Daily history as the app reads it: each symbol's daily bars, its 52-week range, and how far
the scheduler's backfill has come."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, case, func, select
from sqlmodel import col

from stockmon.domain.models import FULL_YEAR_BARS, DailyBar, FetchStatus, Symbol, table_of

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
        col(DailyBar.symbol),
        col(DailyBar.day),
        col(DailyBar.open),
        col(DailyBar.high),
        col(DailyBar.low),
        col(DailyBar.close),
        col(DailyBar.volume),
    ).where(col(DailyBar.symbol).in_(list(symbols)))
    if since is not None:
        query = query.where(col(DailyBar.day) >= since)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(col(DailyBar.symbol), col(DailyBar.day))).all()
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
    """Every symbol's 52-week range, today's bar included."""
    with engine.connect() as conn:
        rows = conn.execute(year_range_select(since=today - YEAR)).all()
    return {symbol: YearRange(low, high, days) for symbol, low, high, days in rows}


def range_before(today: date, symbols: ColumnElement | Select) -> Select:
    """The 52-week range a quote of ``today`` is measured against (52-week alerts, their
    distance): the year of daily bars before today, of ``symbols``."""
    return year_range_select(since=today - YEAR, before=today, symbols=symbols)


def year_range_select(
    since: date, before: date | None = None, symbols: ColumnElement | Select | None = None
) -> Select:
    """(symbol, year_low, year_high, days): the lowest low and highest high of each symbol's
    daily bars after ``since`` (and before ``before``), of ``symbols`` only if given, widened
    by the provider's own 52-week range while the bars cover less than a year.

    A symbol has a 52-week range only once its daily history has arrived, the provider gave
    its range, or its bars cover a year: the bars kept from today's quotes alone are the
    day's range, not the year's."""
    bar, listing, status = table_of(DailyBar).c, table_of(Symbol).c, table_of(FetchStatus).c
    conditions = [bar.day > since]
    if before is not None:
        conditions.append(bar.day < before)
    if symbols is not None:
        conditions.append(bar.symbol.in_(symbols))
    bars = (
        select(
            bar.symbol,
            func.min(bar.low).label("low"),
            func.max(bar.high).label("high"),
            func.count().label("days"),
        )
        .where(*conditions)
        .group_by(bar.symbol)
        .subquery("bars")
    )
    short = bars.c.days < FULL_YEAR_BARS
    low = case((short & (listing.year_low < bars.c.low), listing.year_low), else_=bars.c.low)
    high = case((short & (listing.year_high > bars.c.high), listing.year_high), else_=bars.c.high)
    provider_range = listing.year_low.is_not(None) | listing.year_high.is_not(None)
    known = status.history_loaded_at.is_not(None) | provider_range | ~short
    return (
        select(bars.c.symbol, low.label("year_low"), high.label("year_high"), bars.c.days)
        .outerjoin_from(bars, Symbol, listing.symbol == bars.c.symbol)
        .outerjoin(FetchStatus, status.symbol == bars.c.symbol)
        .where(known)
    )


def history_loaded(engine: Engine, symbols: Sequence[str]) -> set[str]:
    """Which of ``symbols`` the scheduler has fetched the daily history of."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(col(FetchStatus.symbol)).where(
                    col(FetchStatus.symbol).in_(list(symbols)),
                    col(FetchStatus.history_loaded_at).is_not(None),
                )
            ).scalars()
        )
