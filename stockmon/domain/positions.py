"""What people hold, as stored: the lots they bought (several per symbol) and the shares they
sold. Every write checks the whole book afterwards, so no sale ever sells shares that were
not held on its day (the gains themselves are worked out in ``stockmon.domain.gains``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select
from sqlmodel import col

from stockmon.domain.errors import StockmonError
from stockmon.domain.gains import Book, match_fifo
from stockmon.domain.models import Lot, Sale, table_of, utcnow
from stockmon.domain.symbols import normalize_symbol
from stockmon.domain.watchlists import picks_on

MAX_LOTS = 1_000  # per person
MAX_SALES = 1_000  # per person
LOT_COLUMNS = ["id", "symbol", "bought_on", "quantity", "price", "fees"]
SALE_COLUMNS = ["id", "symbol", "sold_on", "quantity", "price", "fees"]


class PositionError(StockmonError):
    """A lot or sale that cannot be saved; the message says why."""


@dataclass(frozen=True)
class Trade:
    """One purchase ("buy", stored as a lot) or sale ("sell"), checked (``trade``)."""

    kind: Literal["buy", "sell"]
    symbol: str
    day: date
    quantity: float
    price: float
    fees: float = 0.0
    import_key: str | None = None


def _amount(value: float, what: str, *, positive: bool = False) -> float:
    number = float(value)
    if math.isnan(number) or math.isinf(number) or number < 0 or (positive and number == 0):
        kind = "positive" if positive else "non-negative"
        raise PositionError(f"The {what} must be a {kind} number.")
    return number


def trade(
    kind: Literal["buy", "sell"],
    symbol: str,
    day: date,
    quantity: float,
    price: float,
    fees: float = 0.0,
    import_key: str | None = None,
) -> Trade:
    """A trade with its symbol written the one stored way and its numbers checked; a
    ``PositionError`` says what is wrong."""
    try:
        symbol = normalize_symbol(symbol)
    except ValueError as error:
        raise PositionError(str(error)) from None
    if day > utcnow().date():
        raise PositionError(f"A {'purchase' if kind == 'buy' else 'sale'} cannot be in the future.")
    return Trade(
        kind,
        symbol,
        day,
        _amount(quantity, "quantity", positive=True),
        _amount(price, "price"),
        _amount(fees, "fees"),
        import_key,
    )


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
    return save_trades(engine, user_id, [trade("buy", symbol, bought_on, quantity, price, fees)])[0]


def record_sale(
    engine: Engine,
    user_id: int,
    symbol: str,
    sold_on: date,
    quantity: float,
    price: float,
    fees: float = 0.0,
) -> int:
    """Record a sale of shares held on ``sold_on``; its id."""
    return save_trades(engine, user_id, [trade("sell", symbol, sold_on, quantity, price, fees)])[0]


def save_trades(engine: Engine, user_id: int, trades: Sequence[Trade]) -> list[int]:
    """Store checked trades in one transaction, all or none; their ids. Refused, with the
    reason, when a symbol is on none of the person's lists, a limit is passed, or a sale would
    sell shares not held on its day."""
    with engine.begin() as conn:
        for unwatched in sorted({t.symbol for t in trades} - set(picks_on(conn, user_id))):
            raise PositionError(
                f"Add {unwatched} to one of your lists first: positions are valued at the "
                "quotes of the symbols you watch."
            )
        for model, kind, limit in ((Lot, "buy", MAX_LOTS), (Sale, "sell", MAX_SALES)):
            held = conn.execute(
                select(func.count()).select_from(model).where(col(model.user_id) == user_id)
            ).scalar_one()
            if held + sum(t.kind == kind for t in trades) > limit:
                raise PositionError(f"Keep at most {limit} {'lots' if kind == 'buy' else 'sales'}.")
        ids = [_insert(conn, user_id, t) for t in trades]
        _check_book(conn, user_id)
    return ids


def _insert(conn: Connection, user_id: int, new: Trade) -> int:
    table = table_of(Lot if new.kind == "buy" else Sale)
    day_column = "bought_on" if new.kind == "buy" else "sold_on"
    values = {
        "user_id": user_id,
        "symbol": new.symbol,
        day_column: new.day,
        "quantity": new.quantity,
        "price": new.price,
        "fees": new.fees,
        "created_at": utcnow(),
        "import_key": new.import_key,
    }
    return conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()


def _check_book(conn: Connection, user_id: int, reason: str = "") -> None:
    """Refuse (rolling the transaction back) a book in which a sale sells unheld shares;
    ``reason`` leads the message."""
    for sale in match_fifo(_read_book(conn, user_id)).oversold().itertuples():
        held = sale.quantity - sale.unmatched
        raise PositionError(
            f"{reason}A sale of {sale.quantity:g} {sale.symbol} on {sale.sold_on:%Y-%m-%d} "
            f"would sell more than the {held:g} held then (a sale sells shares bought on or "
            "before its day)."
        )


def remove_lot(engine: Engine, user_id: int, lot_id: int) -> None:
    """Forget a lot; refused while a sale needs its shares."""
    with engine.begin() as conn:
        _delete(conn, user_id, Lot, lot_id)
        _check_book(conn, user_id, "Remove the sale first: ")


def remove_sale(engine: Engine, user_id: int, sale_id: int) -> None:
    with engine.begin() as conn:
        _delete(conn, user_id, Sale, sale_id)


def _delete(conn: Connection, user_id: int, model: type[Lot] | type[Sale], row_id: int) -> None:
    removed = conn.execute(
        delete(model).where(col(model.id) == row_id, col(model.user_id) == user_id)
    ).rowcount
    if not removed:
        what = "lot" if model is Lot else "sale"
        raise PositionError(f"No such {what}: it may have been removed.")


def book_of(engine: Engine, user_id: int, symbols: Sequence[str] | None = None) -> Book:
    """The person's lots and sales (of ``symbols`` only, when given), oldest first."""
    with engine.connect() as conn:
        return _read_book(conn, user_id, symbols)


def _read_book(conn: Connection, user_id: int, symbols: Sequence[str] | None = None) -> Book:
    frames = []
    for model, day, columns in (
        (Lot, Lot.bought_on, LOT_COLUMNS),
        (Sale, Sale.sold_on, SALE_COLUMNS),
    ):
        query = select(
            col(model.id),
            col(model.symbol),
            col(day),
            col(model.quantity),
            col(model.price),
            col(model.fees),
        ).where(col(model.user_id) == user_id)
        if symbols is not None:
            query = query.where(col(model.symbol).in_(list(symbols)))
        rows = conn.execute(query.order_by(col(day), col(model.id))).all()
        frames.append(pd.DataFrame(rows, columns=columns))
    return Book(*frames)


def import_keys(engine: Engine, user_id: int) -> set[str]:
    """The imported CSV rows already stored for the person (``trade_import``)."""
    with engine.connect() as conn:
        return {
            key
            for model in (Lot, Sale)
            for key in conn.execute(
                select(col(model.import_key)).where(
                    col(model.user_id) == user_id, col(model.import_key).is_not(None)
                )
            ).scalars()
            if key is not None
        }
