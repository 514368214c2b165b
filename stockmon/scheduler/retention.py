"""Bounds ``price_history``: minute-level points are kept for a window (7 days by default);
older ones are rolled up to one point per 30-minute bucket, the bucket's last observation.

Keeping the last point of each bucket (rather than writing an average elsewhere) leaves one
table whose "price as of time t" answers stay right for charts at every range, and keeps the
day's cumulative volume exact at each kept point. The work goes in small slices of history,
one transaction each, and a watermark in ``scheduler_state`` records how far it has come.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, func, select
from sqlmodel import col

from stockmon.domain.db import upsert
from stockmon.domain.models import FetchStatus, PriceHistory, SchedulerState, table_of

WATERMARK = "retention.rolled_up_until"
BUCKET = timedelta(minutes=30)
SLICE = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _bucket_start(moment: datetime) -> datetime:
    return moment - (moment - _EPOCH) % BUCKET


def roll_up(engine: Engine, now: datetime, keep: timedelta, max_slices: int = 12) -> int:
    """Roll up at most ``max_slices`` slices of history older than ``keep``; rows deleted."""
    cutoff = _bucket_start(now - keep)
    start = _watermark(engine)
    deleted = 0
    for _ in range(max_slices):
        if start is None or start >= cutoff:
            break
        end = min(start + SLICE, cutoff)
        deleted += _roll_up_slice(engine, start, end)
        start = end
    return deleted


def _watermark(engine: Engine) -> datetime | None:
    """Where the roll-up goes on from; found once from the oldest point (a full scan), then
    kept, so later runs never scan the table."""
    with engine.begin() as conn:
        value = conn.execute(
            select(col(SchedulerState.value)).where(col(SchedulerState.key) == WATERMARK)
        ).scalar_one_or_none()
        if value is not None:
            return datetime.fromisoformat(value)
        oldest = conn.execute(select(func.min(col(PriceHistory.ts)))).scalar_one_or_none()
        if oldest is None:
            return None
        _save_watermark(conn, _bucket_start(oldest))
    return _bucket_start(oldest)


def _save_watermark(conn: Connection, until: datetime) -> None:
    row = {"key": WATERMARK, "value": until.isoformat(), "updated_at": datetime.now(UTC)}
    upsert(conn, table_of(SchedulerState), [row], keys=["key"])


def _roll_up_slice(engine: Engine, start: datetime, end: datetime) -> int:
    """Keep the last point of each bucket in [start, end) for every symbol; one transaction."""
    history = table_of(PriceHistory)
    deleted = 0
    with engine.begin() as conn:
        symbols = conn.execute(select(col(FetchStatus.symbol))).scalars().all()
        for symbol in symbols:
            stamps = conn.execute(
                select(history.c.ts)
                .where(history.c.symbol == symbol, history.c.ts >= start, history.c.ts < end)
                .order_by(history.c.ts)
            ).scalars()
            last_in_bucket: dict[datetime, datetime] = {}
            doomed = []
            for ts in stamps:
                bucket = _bucket_start(ts)
                if bucket in last_in_bucket:
                    doomed.append(last_in_bucket[bucket])
                last_in_bucket[bucket] = ts
            if doomed:
                conn.execute(
                    delete(history).where(
                        and_(history.c.symbol == symbol, history.c.ts.in_(doomed))
                    )
                )
                deleted += len(doomed)
        _save_watermark(conn, end)
    return deleted
