"""Earnings dates, in the scheduler: one calendar request covers every tracked symbol.

The calendar is asked when a tracked symbol's date is missing or a day old, at most once per
``GAP`` with a budgeted provider (a newly picked symbol waits for the next ask, not a request
of its own), and again ``RETRY_AFTER`` after a failed ask. Each ask writes its time on the rows
it answered, so the asks of the last day can be counted against the backfill's budget share.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, insert, or_, select, update
from sqlmodel import col

from stockmon.domain import redaction
from stockmon.domain.db import upsert
from stockmon.domain.earnings import CHECK_EVERY, EarningsDate
from stockmon.domain.models import EarningsReport, table_of
from stockmon.scheduler.leadership import Fence, fenced

log = logging.getLogger(__name__)
GAP = timedelta(hours=6)
RETRY_AFTER = timedelta(hours=6)


def due(engine: Engine, symbols: Sequence[str], now: datetime, gap: timedelta) -> list[str]:
    """The symbols whose date is to be asked (none while the last ask is within ``gap``)."""
    if not symbols:
        return []
    checked = col(EarningsReport.checked_at)
    with engine.connect() as conn:
        last = conn.execute(select(func.max(checked))).scalar_one()
        if gap and last is not None and last > now - gap:
            return []
        fresh = set(
            conn.execute(
                select(col(EarningsReport.symbol)).where(
                    col(EarningsReport.symbol).in_(list(symbols)),
                    checked > now - CHECK_EVERY,
                    or_(
                        col(EarningsReport.error).is_(None),
                        checked > now - RETRY_AFTER,
                    ),
                )
            ).scalars()
        )
    return [symbol for symbol in symbols if symbol not in fresh]


def asks_since(conn: Connection, since: datetime) -> int:
    """Calendar asks after ``since``: one distinct time on the rows each ask wrote."""
    checked = col(EarningsReport.checked_at)
    return conn.execute(
        select(func.count(func.distinct(checked))).where(checked > since)
    ).scalar_one()


def record(
    engine: Engine,
    symbols: Sequence[str],
    reports: Sequence[EarningsDate],
    now: datetime,
    fence: Fence | None = None,
) -> None:
    """Store the calendar's answer for ``symbols``: its report where it gave one, no date
    where it gave none."""
    found = {report.symbol: report for report in reports}
    rows = [_row(symbol, found.get(symbol), now) for symbol in symbols]
    with fenced(engine, fence) as conn:
        upsert(conn, table_of(EarningsReport), rows, keys=["symbol"])
    dated = sum(symbol in found for symbol in symbols)
    log.info("earnings calendar: %d of %d symbols report within its horizon", dated, len(symbols))


def record_failure(
    engine: Engine, symbols: Sequence[str], error: str, now: datetime, fence: Fence | None = None
) -> None:
    """Note a failed ask on ``symbols``' rows, keeping the dates they hold."""
    why = redaction.brief(error, 300)
    with fenced(engine, fence) as conn:
        known = set(
            conn.execute(
                update(EarningsReport)
                .where(col(EarningsReport.symbol).in_(list(symbols)))
                .values(checked_at=now, error=why)
                .returning(col(EarningsReport.symbol))
            ).scalars()
        )
        if new := [symbol for symbol in symbols if symbol not in known]:
            conn.execute(
                insert(EarningsReport),
                [_row(symbol, None, now) | {"error": why} for symbol in new],
            )
    log.info("earnings calendar: %s", why)


def _row(symbol: str, report: EarningsDate | None, now: datetime) -> dict[str, object]:
    return {
        "symbol": symbol,
        "report_day": report.day if report else None,
        "report_time": report.time.value if report else "",
        "fiscal_end": report.fiscal_end if report else None,
        "estimate": report.estimate if report else None,
        "checked_at": now,
        "error": None,
    }
