"""What the app reads: latest quotes, downsampled price series, the scheduler's heartbeat.

Series are downsampled in SQL (one averaged point per time bucket, through the (symbol, ts)
index), so a month of minute history never reaches pandas row by row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, Float, Row, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from stockmon.ingest import LAST_CYCLE_AT, LAST_CYCLE_SUMMARY, PROVIDER_NAME
from stockmon.models import PriceHistory, Quote, SchedulerState, Symbol

QUOTE_COLUMNS = [
    "symbol", "name", "price", "change", "change_percent", "open", "previous_close", "high",
    "low", "volume", "latest_trading_day", "fetched_at",
]  # fmt: skip


def latest_quotes(engine: Engine, symbols: Sequence[str]) -> pd.DataFrame:
    """One row per symbol in ``symbols`` order; symbols without a quote yet have NaN prices."""
    with engine.connect() as conn:
        quotes = {
            row.symbol: row._asdict()
            for row in conn.execute(select(Quote).where(Quote.symbol.in_(symbols)))
        }
        names = dict(
            conn.execute(select(Symbol.symbol, Symbol.name).where(Symbol.symbol.in_(symbols))).all()
        )
    rows = [{**quotes.get(s, {"symbol": s}), "name": names.get(s, "")} for s in symbols]
    frame = pd.DataFrame(rows, columns=QUOTE_COLUMNS)
    for column in ("price", "change", "change_percent", "open", "previous_close", "high", "low"):
        frame[column] = frame[column].astype("float64")
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
    return frame


def _epoch_seconds(dialect: str, column: ColumnElement) -> ColumnElement:
    if dialect == "postgresql":
        return func.extract("epoch", column)
    return cast(func.strftime("%s", column), Float)


def _downsampled(
    conn: Connection,
    symbols: Sequence[str],
    since: datetime | None,
    until: datetime,
    points: int,
) -> list[Row]:
    """(symbol, ts, price) rows: the prices since ``since`` (None: all) averaged into at most
    about ``points`` time buckets per symbol.

    The buckets span the history there is, so a young database still draws a full line.
    """
    in_range = [PriceHistory.symbol.in_(symbols)]
    if since is not None:
        in_range.append(PriceHistory.ts >= since)
    first = conn.execute(select(func.min(PriceHistory.ts)).where(*in_range)).scalar_one()
    if first is None:
        return []
    seconds = max(math.ceil((until - first).total_seconds() / points), 1)
    epoch = _epoch_seconds(conn.dialect.name, PriceHistory.ts)
    slot = func.floor(epoch / seconds)
    statement = (
        select(
            PriceHistory.symbol,
            func.max(PriceHistory.ts).label("ts"),
            func.avg(PriceHistory.price).label("price"),
        )
        .where(PriceHistory.symbol.in_(symbols), PriceHistory.ts >= first)
        .group_by(PriceHistory.symbol, slot)
        .order_by(PriceHistory.symbol, slot)
    )
    return list(conn.execute(statement))


def sparklines(
    engine: Engine, symbols: Sequence[str], since: datetime, until: datetime, points: int = 48
) -> dict[str, list[float]]:
    """About ``points`` averaged prices per symbol between ``since`` and ``until``."""
    series: dict[str, list[float]] = {s: [] for s in symbols}
    if symbols:
        with engine.connect() as conn:
            for row in _downsampled(conn, symbols, since, until, points):
                series[row.symbol].append(round(float(row.price), 4))
    return series


def price_history(
    engine: Engine,
    symbols: Sequence[str],
    since: datetime | None,
    until: datetime,
    max_points: int = 400,
) -> pd.DataFrame:
    """Columns symbol, ts, price; ``since=None`` means all history."""
    rows = []
    if symbols:
        with engine.connect() as conn:
            rows = _downsampled(conn, symbols, since, until, max_points)
    frame = pd.DataFrame(rows, columns=["symbol", "ts", "price"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["price"] = frame["price"].astype("float64")
    return frame


@dataclass(frozen=True)
class SchedulerStatus:
    last_cycle_at: datetime | None
    last_cycle_summary: str | None
    provider: str | None


def scheduler_status(engine: Engine) -> SchedulerStatus:
    with engine.connect() as conn:
        values = dict(
            conn.execute(
                select(SchedulerState.key, SchedulerState.value).where(
                    SchedulerState.key.in_([LAST_CYCLE_AT, LAST_CYCLE_SUMMARY, PROVIDER_NAME])
                )
            ).all()
        )
    last = values.get(LAST_CYCLE_AT)
    return SchedulerStatus(
        last_cycle_at=datetime.fromisoformat(last) if last else None,
        last_cycle_summary=values.get(LAST_CYCLE_SUMMARY),
        provider=values.get(PROVIDER_NAME),
    )


def catalog(engine: Engine) -> pd.DataFrame:
    """The symbols the picker offers: symbol, name, exchange."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Symbol.symbol, Symbol.name, Symbol.exchange).order_by(Symbol.symbol)
        ).all()
    return pd.DataFrame(rows, columns=["symbol", "name", "exchange"])
