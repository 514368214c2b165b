"""What the app reads: latest quotes, downsampled price series, the scheduler's heartbeat.

Series are downsampled in SQL (one averaged point per time bucket, through the (symbol, ts)
index), so a month of minute history never reaches pandas row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, Engine, Row, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from stockmon.ingest import LAST_CYCLE_AT, LAST_CYCLE_SUMMARY, PROVIDER_NAME
from stockmon.models import PriceHistory, Quote, SchedulerState, Symbol

QUOTE_COLUMNS = [
    "symbol", "name", "price", "change", "change_percent", "open", "previous_close", "high",
    "low", "volume", "latest_trading_day", "fetched_at",
]  # fmt: skip


def stored_quotes(engine: Engine) -> list[Quote]:
    """Every symbol's latest quote."""
    with Session(engine) as session:
        return list(session.exec(select(Quote)).scalars())


def latest_quotes(engine: Engine, symbols: Sequence[str]) -> pd.DataFrame:
    """One row per symbol in ``symbols`` order; symbols without a quote yet have NaN prices."""
    quote = Quote.__table__.c
    with engine.connect() as conn:
        rows = {
            row.symbol: row
            for row in conn.execute(
                select(*(quote[c] for c in QUOTE_COLUMNS if c != "name"), Symbol.name)
                .select_from(Quote)
                .outerjoin(Symbol, Symbol.symbol == Quote.symbol)
                .where(Quote.symbol.in_(symbols))
            ).all()
        }
        if waiting := [s for s in symbols if s not in rows]:  # picked, no quote yet
            names = dict(
                conn.execute(
                    select(Symbol.symbol, Symbol.name).where(Symbol.symbol.in_(waiting))
                ).all()
            )
    frame = pd.DataFrame.from_records(
        [
            rows[s]._asdict() if s in rows else {"symbol": s, "name": names.get(s, "")}
            for s in symbols
        ],
        columns=QUOTE_COLUMNS,
    )
    for column in ("price", "change", "change_percent", "open", "previous_close", "high", "low"):
        frame[column] = frame[column].astype("float64")
    frame["name"] = frame["name"].fillna("")
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
    return frame


# The widths series are averaged over, each with the length of the text prefix that names such a
# bucket in a SQLite timestamp ("2026-03-31 14:05:07.123456"): grouping by a prefix parses no
# dates, which keeps a month of minute history fast to summarize.
BUCKET_WIDTHS = ((1, 19), (60, 16), (600, 15), (3600, 13), (86400, 10))


def _bucket(dialect: str, span: timedelta, points: int) -> ColumnElement:
    """The time bucket of each row: the finest width giving at most ``points`` buckets."""
    seconds, prefix = next(
        ((w, p) for w, p in BUCKET_WIDTHS if span.total_seconds() / w <= points),
        BUCKET_WIDTHS[-1],
    )
    if dialect == "postgresql":
        return func.date_bin(
            literal_column(f"interval '{seconds} seconds'"),
            PriceHistory.ts,
            literal_column("timestamptz '1970-01-01 00:00:00+00'"),
        )
    return func.substr(PriceHistory.ts, 1, prefix)


def _downsampled(
    conn: Connection,
    symbols: Sequence[str],
    since: datetime | None,
    until: datetime,
    points: int,
    with_time: bool,
) -> list[Row]:
    """(symbol, [ts,] price) rows: prices since ``since`` (None: all) averaged per time bucket,
    at most ``points`` buckets per symbol, in time order.

    The buckets span the history there is, so a young database still draws a line.
    """
    in_range = [PriceHistory.symbol.in_(symbols)]
    if since is not None:
        in_range.append(PriceHistory.ts >= since)
    first = conn.execute(select(func.min(PriceHistory.ts)).where(*in_range)).scalar_one()
    if first is None:
        return []
    bucket = _bucket(conn.dialect.name, until - first, points)
    columns = [PriceHistory.symbol, func.avg(PriceHistory.price).label("price")]
    if with_time:
        columns.insert(1, func.max(PriceHistory.ts).label("ts"))
    statement = (
        select(*columns)
        .where(PriceHistory.symbol.in_(symbols), PriceHistory.ts >= first)
        .group_by(PriceHistory.symbol, bucket)
        .order_by(PriceHistory.symbol, bucket)
    )
    return conn.execute(statement).all()


def sparklines(
    engine: Engine, symbols: Sequence[str], since: datetime, until: datetime, points: int = 48
) -> dict[str, list[float]]:
    """About ``points`` averaged prices per symbol between ``since`` and ``until``."""
    series: dict[str, list[float]] = {s: [] for s in symbols}
    if symbols:
        with engine.connect() as conn:
            for symbol, price in _downsampled(conn, symbols, since, until, points, False):
                series[symbol].append(float(price))
    return series


def price_history(
    engine: Engine,
    symbols: Sequence[str],
    since: datetime | None,
    until: datetime,
    max_points: int = 1000,
) -> pd.DataFrame:
    """Columns symbol, ts, price; ``since=None`` means all history."""
    rows = []
    if symbols:
        with engine.connect() as conn:
            rows = _downsampled(conn, symbols, since, until, max_points, with_time=True)
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
