"""Each person's picks. The scheduler tracks the union of everyone's picks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, delete, select

from stockmon.config import normalize_symbol
from stockmon.limits import tracking_limits
from stockmon.models import Symbol, WatchlistItem, utcnow


class WatchlistError(ValueError):
    """Picks that cannot be saved; the message says why."""


def _check_total(conn: Connection, user_id: int, picks: Sequence[str], cap: int) -> None:
    """Everyone's picks together stay within ``cap`` symbols; symbols others already watch
    cost nothing more."""
    others = set(
        conn.execute(
            select(WatchlistItem.symbol).where(WatchlistItem.user_id != user_id).distinct()
        ).scalars()
    )
    new = [s for s in picks if s not in others]
    if len(others) + len(new) > cap:
        room = max(cap - len(others), 0)
        raise WatchlistError(
            f"stockmon tracks at most {cap} symbols for everyone, and other people's picks take "
            f"{len(others)}: you can add {room} more of your own, or pick symbols others "
            "already watch. An admin can raise the cap."
        )


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
    """Replace a user's picks with ``symbols`` (catalog symbols only, in the given order),
    within the caps an admin set (``limits``)."""
    try:
        picks = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
    except ValueError as error:
        raise WatchlistError(str(error)) from None
    now = utcnow()
    with engine.begin() as conn:
        limits = tracking_limits(conn)
        if len(picks) > limits.per_user:
            raise WatchlistError(f"Pick at most {limits.per_user} symbols.")
        known = set(conn.execute(select(Symbol.symbol).where(Symbol.symbol.in_(picks))).scalars())
        if unknown := [s for s in picks if s not in known]:
            raise WatchlistError(f"Not in the catalog: {', '.join(unknown)}")
        if limits.total is not None:
            _check_total(conn, user_id, picks, limits.total)
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
