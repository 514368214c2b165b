"""Old minute history is rolled up to one point per 30 minutes; the recent week stays whole."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from stockmon.domain.db import insert_ignoring_duplicates, upsert
from stockmon.domain.models import FetchStatus, PriceHistory
from stockmon.scheduler.retention import roll_up

NOW = datetime(2026, 3, 12, 12, tzinfo=UTC)


def fill(engine, days: int) -> None:
    start = NOW - timedelta(days=days)
    points = [
        {"symbol": "AAPL", "ts": start + timedelta(minutes=m), "price": 100 + m % 7, "volume": m}
        for m in range(days * 24 * 60)
    ]
    with engine.begin() as conn:
        insert_ignoring_duplicates(conn, PriceHistory.__table__, points)
        upsert(
            conn, FetchStatus.__table__, [{"symbol": "AAPL", "consecutive_failures": 0}], ["symbol"]
        )


def points(engine, since=None, until=None) -> list:
    query = select(PriceHistory.ts, PriceHistory.volume).order_by(PriceHistory.ts)
    if since:
        query = query.where(PriceHistory.ts >= since)
    if until:
        query = query.where(PriceHistory.ts < until)
    with engine.connect() as conn:
        return conn.execute(query).all()


def test_old_points_roll_up_in_slices_and_recent_ones_stay(engine):
    fill(engine, days=9)
    cutoff = NOW - timedelta(days=7)
    recent_before = points(engine, since=cutoff)
    done = 0
    while removed := roll_up(engine, NOW, keep=timedelta(days=7), max_slices=12):
        done += removed  # a run handles at most 12 one-hour slices
    old = points(engine, until=cutoff)
    assert len(old) == 2 * 24 * 2  # two days at one point per half hour
    assert all(p.ts.minute in (29, 59) for p in old)  # each bucket's last observation
    assert all(p.volume == (p.ts - (NOW - timedelta(days=9))).total_seconds() // 60 for p in old)
    assert points(engine, since=cutoff) == recent_before
    assert done == 2 * 24 * 60 - len(old)
    assert roll_up(engine, NOW, keep=timedelta(days=7)) == 0  # nothing left to do


def test_the_table_stays_bounded_as_time_goes_on(engine):
    fill(engine, days=8)
    later = NOW + timedelta(days=1)
    while roll_up(engine, later, keep=timedelta(days=7), max_slices=48):
        pass
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(PriceHistory)).scalar_one()
    # the last 6 days whole (NOW+1 minus 7 days on), 2 days rolled up to 48 points each
    assert total == 6 * 24 * 60 + 2 * 48
