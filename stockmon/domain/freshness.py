"""How old a quote is, and when it is stale: one rule for the scheduler's pacing, the
dashboard's warning and the Status page.

When the scheduler paces by market hours, a quote ages by its own exchange's trading time: a
Friday close is not stale on Sunday, and a Tokyo quote ages while New York sleeps. Otherwise
it ages by the clock. Which of the two, and the interval, are what the scheduler published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, select
from sqlmodel import col

from stockmon.domain.calendar import ALWAYS_OPEN, Market, market, market_of
from stockmon.domain.models import Symbol

MISSED_INTERVALS = 3
"""A quote is stale, and the scheduler late, after this many intervals without news."""


def clock_of(code: str, market_hours: bool) -> Market:
    """The market whose trading time a quote of exchange ``code`` ages by."""
    return market(code if market_hours else ALWAYS_OPEN)


def market_codes(conn: Connection, symbols: Sequence[str]) -> dict[str, str]:
    """Each symbol's exchange-calendars code, from its listing (New York when unlisted)."""
    exchanges: Mapping[str, str] = dict(
        conn.execute(
            select(col(Symbol.symbol), col(Symbol.exchange)).where(col(Symbol.symbol).in_(symbols))
        ).all()
    )
    return {symbol: market_of(symbol, exchanges.get(symbol) or "") for symbol in symbols}


def age(clock: Market, fetched_at: datetime, now: datetime) -> timedelta:
    """How old a quote fetched at ``fetched_at`` is on its ``clock``."""
    return clock.trading_time(fetched_at, now)


def is_stale(clock: Market, fetched_at: datetime, now: datetime, interval: timedelta) -> bool:
    """Older than ``MISSED_INTERVALS`` refresh intervals on its clock."""
    return age(clock, fetched_at, now) > MISSED_INTERVALS * interval


def due_again(clock: Market, fetched_at: datetime, interval: timedelta) -> datetime | None:
    """When a quote fetched at ``fetched_at`` is one interval old on its clock (None: past the
    calendar's horizon)."""
    return clock.after_trading(fetched_at, interval)
