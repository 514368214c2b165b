"""Caps an admin sets on tracking: symbols per person, and symbols for everyone together
(every pick stretches the shared request budget, so a deployment can bound it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select
from sqlmodel import col

from stockmon.domain.db import upsert
from stockmon.domain.models import (
    MAX_PICKS_PER_USER,
    MAX_TRACKED_SYMBOLS,
    AppSetting,
    table_of,
    utcnow,
)

MAX_PICKS = 100  # per person, whatever an admin sets


@dataclass(frozen=True)
class TrackingLimits:
    per_user: int = MAX_PICKS
    total: int | None = None  # None: no cap on everyone's picks together


def tracking_limits(conn: Connection) -> TrackingLimits:
    values = dict(
        conn.execute(
            select(col(AppSetting.key), col(AppSetting.value)).where(
                col(AppSetting.key).in_([MAX_PICKS_PER_USER, MAX_TRACKED_SYMBOLS])
            )
        ).all()
    )
    per_user = int(values.get(MAX_PICKS_PER_USER, MAX_PICKS))
    total = int(values[MAX_TRACKED_SYMBOLS]) if values.get(MAX_TRACKED_SYMBOLS) else None
    return TrackingLimits(min(per_user, MAX_PICKS), total)


def current_limits(engine: Engine) -> TrackingLimits:
    with engine.connect() as conn:
        return tracking_limits(conn)


def set_tracking_limits(engine: Engine, per_user: int | None, total: int | None) -> None:
    """Change the caps given (``total=0`` lifts the cap on everyone's picks together)."""
    rows = []
    if per_user is not None:
        if not 1 <= per_user <= MAX_PICKS:
            raise ValueError(f"the cap per person must be between 1 and {MAX_PICKS}")
        rows.append({"key": MAX_PICKS_PER_USER, "value": str(per_user)})
    if total is not None:
        if total < 0:
            raise ValueError("the cap on all symbols cannot be negative")
        rows.append({"key": MAX_TRACKED_SYMBOLS, "value": str(total) if total else ""})
    now = utcnow()
    with engine.begin() as conn:
        upsert(conn, table_of(AppSetting), [r | {"updated_at": now} for r in rows], keys=["key"])
