"""What people hold: lots (several per symbol), and the gains they make at the latest quotes.

Amounts are in each listing's currency and are only ever added up within one currency: totals
come per currency, never as one sum over dollars and pounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlmodel import col

from stockmon.domain.errors import StockmonError
from stockmon.domain.export import csv_text
from stockmon.domain.models import Lot, Watchlist, WatchlistItem, table_of, utcnow
from stockmon.domain.symbols import normalize_symbol

MAX_LOTS = 1_000  # per person
LOT_COLUMNS = ["id", "symbol", "bought_on", "quantity", "price", "fees"]
POSITION_COLUMNS = [
    "symbol", "currency", "quantity", "cost", "price", "market_value", "day_gain", "total_gain",
    "total_gain_percent",
]  # fmt: skip


class PositionError(StockmonError):
    """A lot that cannot be saved; the message says why."""


def _amount(value: float, what: str, *, positive: bool = False) -> float:
    number = float(value)
    if math.isnan(number) or math.isinf(number) or number < 0 or (positive and number == 0):
        kind = "positive" if positive else "non-negative"
        raise PositionError(f"The {what} must be a {kind} number.")
    return number


def add_lot(
    engine: Engine,
    user_id: int,
    symbol: str,
    bought_on: date,
    quantity: float,
    price: float,
    fees: float = 0.0,
) -> int:
    """Record a purchase; its id."""
    try:
        symbol = normalize_symbol(symbol)
    except ValueError as error:
        raise PositionError(str(error)) from None
    quantity = _amount(quantity, "quantity", positive=True)
    price = _amount(price, "price")
    fees = _amount(fees, "fees")
    if bought_on > utcnow().date():
        raise PositionError("A lot cannot be bought in the future.")
    with engine.begin() as conn:
        watched = conn.execute(
            select(col(WatchlistItem.symbol))
            .join(Watchlist, col(Watchlist.id) == col(WatchlistItem.watchlist_id))
            .where(col(Watchlist.user_id) == user_id, col(WatchlistItem.symbol) == symbol)
        ).first()
        if watched is None:
            raise PositionError(
                f"Add {symbol} to one of your lists first: positions are valued at the quotes "
                "of the symbols you watch."
            )
        held = conn.execute(
            select(func.count()).select_from(Lot).where(col(Lot.user_id) == user_id)
        ).scalar_one()
        if held >= MAX_LOTS:
            raise PositionError(f"Keep at most {MAX_LOTS} lots.")
        return conn.execute(
            table_of(Lot)
            .insert()
            .values(
                user_id=user_id,
                symbol=symbol,
                bought_on=bought_on,
                quantity=quantity,
                price=price,
                fees=fees,
                created_at=utcnow(),
            )
            .returning(table_of(Lot).c.id)
        ).scalar_one()


def remove_lot(engine: Engine, user_id: int, lot_id: int) -> None:
    with engine.begin() as conn:
        removed = conn.execute(
            delete(Lot).where(col(Lot.id) == lot_id, col(Lot.user_id) == user_id)
        ).rowcount
    if not removed:
        raise PositionError("No such lot: it may have been removed.")


def lots_of(engine: Engine, user_id: int, symbols: Sequence[str] | None = None) -> pd.DataFrame:
    """The person's lots (of ``symbols`` only, when given), oldest first."""
    query = select(
        col(Lot.id),
        col(Lot.symbol),
        col(Lot.bought_on),
        col(Lot.quantity),
        col(Lot.price),
        col(Lot.fees),
    ).where(col(Lot.user_id) == user_id)
    if symbols is not None:
        query = query.where(col(Lot.symbol).in_(list(symbols)))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(col(Lot.bought_on), col(Lot.id))).all()
    return pd.DataFrame(rows, columns=LOT_COLUMNS)


@dataclass(frozen=True)
class Holdings:
    """Positions per symbol at the latest quotes, and their totals per currency."""

    positions: pd.DataFrame  # POSITION_COLUMNS, one row per symbol held
    totals: pd.DataFrame  # per currency: market_value, cost, day_gain, total_gain, percent

    def csv(self) -> str:
        """The positions as a CSV file, amounts unrounded, each with its currency."""
        return csv_text(self.positions)


def holdings(lots: pd.DataFrame, quotes: pd.DataFrame, currencies: dict[str, str]) -> Holdings:
    """Each held symbol's quantity, cost (price paid plus fees), market value, day's gain
    (quantity x today's change), total gain and its percentage of the cost; ``quotes`` has
    symbol, price and change; a symbol without a quote has no value yet (NaN), and counts in
    no total."""
    if lots.empty:
        return Holdings(pd.DataFrame(columns=POSITION_COLUMNS), _totals(pd.DataFrame()))
    spent = lots.assign(cost=lots["quantity"] * lots["price"] + lots["fees"])
    grouped = spent.groupby("symbol", sort=False)[["quantity", "cost"]].sum().reset_index()
    latest = quotes.set_index("symbol")[["price", "change"]]
    table = grouped.join(latest, on="symbol")
    table["currency"] = [currencies.get(s, "USD") for s in table["symbol"]]
    table["market_value"] = table["quantity"] * table["price"]
    table["day_gain"] = table["quantity"] * table["change"]
    table["total_gain"] = table["market_value"] - table["cost"]
    table["total_gain_percent"] = table["total_gain"] / table["cost"].where(table["cost"] > 0) * 100
    positions = table[POSITION_COLUMNS]
    return Holdings(positions, _totals(positions.dropna(subset=["market_value"])))


def _totals(positions: pd.DataFrame) -> pd.DataFrame:
    columns = ["market_value", "cost", "day_gain", "total_gain"]
    if positions.empty:
        return pd.DataFrame(columns=["currency", *columns, "total_gain_percent"])
    sums = positions.groupby("currency")[columns].sum().reset_index()
    sums["total_gain_percent"] = sums["total_gain"] / sums["cost"].where(sums["cost"] > 0) * 100
    return sums


def portfolio_history(
    lots: pd.DataFrame, history: pd.DataFrame, currencies: dict[str, str]
) -> pd.DataFrame:
    """The value of what was held at each time of ``history`` (symbol, ts, price), per
    currency: columns ts, currency, value. A lot counts from the day it was bought; a symbol
    counts from its first price in the range."""
    if lots.empty or history.empty:
        return pd.DataFrame(columns=["ts", "currency", "value"])
    prices = history.pivot_table(index="ts", columns="symbol", values="price").sort_index().ffill()
    days = prices.index.date
    frames = []
    for currency in sorted({currencies.get(s, "USD") for s in lots["symbol"]}):
        total = pd.Series(0.0, index=prices.index)
        counted = pd.Series(False, index=prices.index)
        for lot in lots.itertuples():
            if currencies.get(lot.symbol, "USD") != currency or lot.symbol not in prices:
                continue
            held = pd.Series(days >= lot.bought_on, index=prices.index)
            price = prices[lot.symbol]
            total += (price * lot.quantity).where(held & price.notna(), 0.0)
            counted |= held & price.notna()
        frames.append(
            pd.DataFrame({"ts": prices.index, "currency": currency, "value": total})[counted.values]
        )
    return pd.concat(frames, ignore_index=True)
