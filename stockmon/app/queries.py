"""What the app reads: latest quotes, downsampled price series and the catalog.

Series are downsampled in SQL (each symbol's price as of evenly spaced times, one index seek on
(symbol, ts) per point), so a month of minute history never reaches pandas row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    ScalarSelect,
    Select,
    bindparam,
    func,
    select,
)
from sqlmodel import col
from sqlmodel.sql.sqltypes import UTCDateTime

from stockmon.domain.calendar import market_of
from stockmon.domain.models import (
    FetchStatus,
    PriceHistory,
    Quote,
    Symbol,
    table_of,
)

QUOTE_COLUMNS = [
    "symbol", "name", "currency", "price", "change", "change_percent", "open", "previous_close",
    "high", "low", "volume", "latest_trading_day", "fetched_at", "data_class", "market_time",
    "market",
]  # fmt: skip
_NOT_STORED = ("name", "currency", "market")  # from the listing; ``market``: its calendar code


def _waiting_row(symbol: str, listing) -> dict[str, str | None]:
    """The row of a symbol without a quote yet: its name, currency and exchange when listed."""
    return {
        "symbol": symbol,
        "name": listing.name if listing else "",
        "currency": listing.currency if listing else None,
        "exchange": listing.exchange if listing else "",
    }


def latest_quotes(engine: Engine, symbols: Sequence[str]) -> pd.DataFrame:
    """One row per symbol in ``symbols`` order; symbols without a quote yet have NaN prices."""
    quote = table_of(Quote).c
    with engine.connect() as conn:
        rows = {
            row.symbol: row
            for row in conn.execute(
                select(
                    *(quote[c] for c in QUOTE_COLUMNS if c not in _NOT_STORED),
                    col(Symbol.name),
                    col(Symbol.currency),
                    col(Symbol.exchange),
                )
                .select_from(Quote)
                .outerjoin(Symbol, col(Symbol.symbol) == col(Quote.symbol))
                .where(col(Quote.symbol).in_(symbols))
            ).all()
        }
        if waiting := [s for s in symbols if s not in rows]:  # picked, no quote yet
            listings = {
                row.symbol: row
                for row in conn.execute(
                    select(
                        col(Symbol.symbol),
                        col(Symbol.name),
                        col(Symbol.currency),
                        col(Symbol.exchange),
                    ).where(col(Symbol.symbol).in_(waiting))
                )
            }
    frame = pd.DataFrame.from_records(
        [rows[s]._asdict() if s in rows else _waiting_row(s, listings.get(s)) for s in symbols],
        columns=[*QUOTE_COLUMNS, "exchange"],
    )
    for name in ("price", "change", "change_percent", "open", "previous_close", "high", "low"):
        frame[name] = frame[name].astype("float64")
    frame["name"] = frame["name"].fillna("")
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
    frame["market_time"] = pd.to_datetime(frame["market_time"], utc=True)
    frame["market"] = [
        market_of(s, exchange or "") for s, exchange in zip(symbols, frame["exchange"], strict=True)
    ]
    return frame.drop(columns="exchange")


def fetch_problems(engine: Engine, symbols: Sequence[str] | None = None) -> dict[str, str]:
    """The last error of each symbol (of ``symbols``, or of all) whose latest fetch failed."""
    query = select(col(FetchStatus.symbol), col(FetchStatus.last_error)).where(
        col(FetchStatus.consecutive_failures) > 0, col(FetchStatus.last_error).is_not(None)
    )
    if symbols is not None:
        query = query.where(col(FetchStatus.symbol).in_(symbols))
    with engine.connect() as conn:
        return {symbol: error or "" for symbol, error in conn.execute(query).all()}


def rejections(engine: Engine) -> dict[str, str]:
    """Why the provider rejects each symbol whose latest answer was a rejection."""
    query = select(col(FetchStatus.symbol), col(FetchStatus.rejection)).where(
        col(FetchStatus.rejection).is_not(None), col(FetchStatus.consecutive_failures) > 0
    )
    with engine.connect() as conn:
        return {symbol: error or "" for symbol, error in conn.execute(query).all()}


def _sampled(
    conn: Connection,
    symbols: Sequence[str],
    since: datetime | None,
    until: datetime,
    points: int,
) -> tuple[list[datetime], dict[str, list[float | None]]]:
    """Each symbol's price as of ``points`` evenly spaced times, from the first price since
    ``since`` (None: all history) to ``until``: the times, and per symbol the prices at them
    (None before its first price).

    Each sample is one index seek (the last price at or before that time), so the cost grows
    with points x symbols, never with how dense the history is; and the database answers one
    row per symbol, one column per sample. The samples span the history there is, so a young
    database still draws a line.
    """
    in_range: list[ColumnElement[bool]] = [col(PriceHistory.symbol).in_(symbols)]
    if since is not None:
        in_range.append(col(PriceHistory.ts) >= since)
    first = conn.execute(select(func.min(col(PriceHistory.ts))).where(*in_range)).scalar_one()
    if first is None:
        return [], {}
    step = (until - first) / points
    times = [first + step * i for i in range(1, points + 1)]
    parameters = {"symbols": list(symbols), "first": first}
    parameters.update({f"t{i}": moment for i, moment in enumerate(times)})
    rows = conn.execute(_samples_statement(points), parameters)
    return times, {row[0]: list(row[1:]) for row in rows}


@lru_cache(maxsize=16)
def _samples_statement(points: int) -> Select:
    """One row per symbol, one column per sample time; built once per number of samples."""
    first = bindparam("first", type_=UTCDateTime())

    def price_at(index: int) -> ScalarSelect:
        return (
            select(col(PriceHistory.price))
            .where(
                col(PriceHistory.symbol) == col(Symbol.symbol),
                col(PriceHistory.ts) <= bindparam(f"t{index}", type_=UTCDateTime()),
                col(PriceHistory.ts) >= first,
            )
            .order_by(col(PriceHistory.ts).desc())
            .limit(1)
            .scalar_subquery()
        )

    return select(col(Symbol.symbol), *map(price_at, range(points))).where(
        col(Symbol.symbol).in_(bindparam("symbols", expanding=True))
    )


def sparklines(
    engine: Engine, symbols: Sequence[str], since: datetime, until: datetime, points: int = 48
) -> dict[str, list[float]]:
    """``points`` prices per symbol, evenly spaced between ``since`` and ``until``."""
    series: dict[str, list[float]] = {s: [] for s in symbols}
    if symbols:
        with engine.connect() as conn:
            _times, prices = _sampled(conn, symbols, since, until, points)
        for symbol, samples in prices.items():
            series[symbol] = [p for p in samples if p is not None]
    return series


def price_history(
    engine: Engine,
    symbols: Sequence[str],
    since: datetime | None,
    until: datetime,
    max_points: int = 400,
) -> pd.DataFrame:
    """Columns symbol, ts, price: each symbol sampled at ``max_points`` times; ``since=None``
    means all history."""
    rows = []
    if symbols:
        with engine.connect() as conn:
            times, prices = _sampled(conn, symbols, since, until, max_points)
        rows = [
            (symbol, moment, price)
            for symbol in symbols
            for moment, price in zip(times, prices.get(symbol, ()), strict=False)
            if price is not None
        ]
    frame = pd.DataFrame(rows, columns=["symbol", "ts", "price"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    frame["price"] = frame["price"].astype("float64")
    return frame


def catalog(engine: Engine) -> pd.DataFrame:
    """The symbols the picker offers: symbol, name, exchange, currency."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                col(Symbol.symbol), col(Symbol.name), col(Symbol.exchange), col(Symbol.currency)
            ).order_by(col(Symbol.symbol))
        ).all()
    return pd.DataFrame(rows, columns=["symbol", "name", "exchange", "currency"])


@dataclass(frozen=True)
class CompanyFacts:
    """What the provider told of a listing's company, as stored (None where it told nothing)."""

    sector: str | None
    market_cap: float | None
    pe_ratio: float | None

    @property
    def empty(self) -> bool:
        return self.sector is None and self.market_cap is None and self.pe_ratio is None


def company_facts(engine: Engine, symbol: str) -> CompanyFacts:
    with engine.connect() as conn:
        row = conn.execute(
            select(col(Symbol.sector), col(Symbol.market_cap), col(Symbol.pe_ratio)).where(
                col(Symbol.symbol) == symbol
            )
        ).first()
    return CompanyFacts(*row) if row else CompanyFacts(None, None, None)
