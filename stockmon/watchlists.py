"""Each person's picks. The scheduler tracks the union of everyone's picks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, delete, select

from stockmon.config import normalize_symbol
from stockmon.models import Symbol, WatchlistItem, utcnow

MAX_PICKS = 100


class WatchlistError(ValueError):
    """Picks that cannot be saved; the message says why."""


def get_picks(engine: Engine, user_id: int) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(WatchlistItem.symbol)
                .where(WatchlistItem.user_id == user_id)
                .order_by(WatchlistItem.position, WatchlistItem.symbol)
            ).scalars()
        )


def save_picks(engine: Engine, user_id: int, symbols: Sequence[str]) -> list[str]:
    """Replace a user's picks with ``symbols`` (catalog symbols only, in the given order)."""
    try:
        picks = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
    except ValueError as error:
        raise WatchlistError(str(error)) from None
    if len(picks) > MAX_PICKS:
        raise WatchlistError(f"Pick at most {MAX_PICKS} symbols.")
    now = utcnow()
    with engine.begin() as conn:
        known = set(conn.execute(select(Symbol.symbol).where(Symbol.symbol.in_(picks))).scalars())
        if unknown := [s for s in picks if s not in known]:
            raise WatchlistError(f"Not in the catalog: {', '.join(unknown)}")
        conn.execute(delete(WatchlistItem).where(WatchlistItem.user_id == user_id))
        if picks:
            conn.execute(
                WatchlistItem.__table__.insert(),
                [
                    {"user_id": user_id, "symbol": s, "position": i, "added_at": now}
                    for i, s in enumerate(picks)
                ],
            )
    return picks
