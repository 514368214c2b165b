"""What the scheduler tracks: the one rule the scheduler fetches by and the Status page lists.

Tracked are the configured symbols (``STOCKMON_SYMBOLS``), then every symbol on anyone's list.
With neither, a provider whose requests are budgeted tracks nothing (no request is spent on
symbols nobody watches); the free demo market shows its default list so a newcomer sees it move.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, select
from sqlmodel import col

from stockmon.domain.models import WatchlistItem
from stockmon.domain.symbols import SYMBOL_PATTERN

DEMO_SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "AMD", "NFLX", "DIS")
NOTHING_TRACKED = (
    "nothing to track: no one has picked a stock and STOCKMON_SYMBOLS is empty, "
    "so no request is sent"
)


def tracked_symbols(engine: Engine, configured: Sequence[str], budgeted: bool) -> list[str]:
    """``configured`` symbols, then every user's picks, deduplicated; when both are empty,
    nothing if the provider's requests are ``budgeted``, else the demo market's list."""
    with engine.connect() as conn:
        picked = conn.execute(
            select(col(WatchlistItem.symbol)).distinct().order_by(col(WatchlistItem.symbol))
        ).scalars()
        symbols = [s for s in dict.fromkeys([*configured, *picked]) if SYMBOL_PATTERN.match(s)]
    if symbols or budgeted:
        return symbols
    return list(DEMO_SYMBOLS)
