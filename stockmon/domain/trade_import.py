"""Lots and sales imported from a CSV file, as brokers export them: read and checked into a
preview first (each bad row named with why), stored only when the person confirms.

Columns, named in a header row in any order and case (other columns are ignored):

- ``type``: ``buy`` or ``sell`` (also ``action`` or ``side``; ``bought``, ``purchase``,
  ``sold`` and ``sale`` are understood). Without the column a row is a purchase, unless its
  quantity is negative, which some brokers write for a sale.
- ``symbol`` (or ``ticker``), ``date`` (``YYYY-MM-DD``; also ``trade date``), ``quantity``
  (or ``shares``), ``price`` (per share, in the listing's currency) and, optional, ``fees``
  (or ``commission``).

Commas, semicolons or tabs separate the cells; ``1,234.50`` and ``12,5`` are numbers.
Importing the same file again adds nothing twice: each row is stored with a key made of its
content and how often the same row came before it in the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import pandas as pd
from sqlalchemy import Engine

from stockmon.domain.errors import StockmonError
from stockmon.domain.gains import Book, match_fifo
from stockmon.domain.positions import (
    PositionError,
    Trade,
    book_of,
    import_keys,
    save_trades,
    trade,
)
from stockmon.domain.symbols import normalize_symbol
from stockmon.domain.watchlists import get_picks

MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ROWS = 1_000
COLUMN_NAMES = {
    "type": ("type", "action", "side", "transaction"),
    "symbol": ("symbol", "ticker"),
    "date": ("date", "trade date", "traded on"),
    "quantity": ("quantity", "shares", "qty", "units"),
    "price": ("price", "price per share", "unit price"),
    "fees": ("fees", "fee", "commission", "commissions"),
}
REQUIRED = ("symbol", "date", "quantity", "price")
KINDS: dict[str, Literal["buy", "sell"]] = {
    "buy": "buy", "bought": "buy", "purchase": "buy",
    "sell": "sell", "sold": "sell", "sale": "sell",
}  # fmt: skip
PREVIEW_COLUMNS = ["line", "type", "symbol", "date", "quantity", "price", "fees", "status"]
NEW, ALREADY = "new", "already imported"
THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
DECIMAL_COMMA = re.compile(r"-?\d+,\d+")


class ImportFileError(StockmonError):
    """A file that cannot be read as a table of trades at all."""


@dataclass(frozen=True)
class ImportPreview:
    """What an import would do, row by row: ``rows`` has PREVIEW_COLUMNS, its status "new",
    "already imported" or why the row is refused; ``trades`` are the new rows."""

    rows: pd.DataFrame
    trades: tuple[Trade, ...]

    @property
    def refused(self) -> pd.DataFrame:
        return self.rows[~self.rows["status"].isin([NEW, ALREADY])]

    @property
    def ready(self) -> bool:
        """Whether confirming stores something: new rows and no refused one."""
        return bool(self.trades) and self.refused.empty


def _number(cell: str, what: str) -> float:
    text = re.sub(r"[\s$£€¥]", "", cell)
    if THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    elif DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    try:
        return float(text) if text else 0.0 if what == "fees" else float("nan")
    except ValueError:
        raise PositionError(f"The {what} is not a number.") from None


def _day(cell: str) -> date:
    try:
        return date.fromisoformat(cell.strip()[:10].replace("/", "-"))
    except ValueError:
        raise PositionError("The date is not a date written YYYY-MM-DD.") from None


def _table(data: bytes) -> tuple[list[str], list[list[str]]]:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_IMPORT_BYTES // 1_000_000} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text: save it as CSV (UTF-8).") from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    try:
        lines = [row for row in csv.reader(io.StringIO(text), dialect) if any(map(str.strip, row))]
    except csv.Error:  # a NUL byte, a field past the csv module's size limit
        raise ImportFileError("The file is not a CSV table.") from None
    if not lines:
        raise ImportFileError("The file is empty.")
    if len(lines) - 1 > MAX_IMPORT_ROWS:
        raise ImportFileError(f"Import at most {MAX_IMPORT_ROWS} rows at a time.")
    return [c.strip().lower() for c in lines[0]], lines[1:]


def _columns(header: list[str]) -> dict[str, int]:
    found = {
        name: next(i for i, cell in enumerate(header) if cell in aliases)
        for name, aliases in COLUMN_NAMES.items()
        if any(cell in aliases for cell in header)
    }
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise ImportFileError(
            "The header row has no " + ", ".join(missing) + " column: the columns are "
            "type, symbol, date, quantity, price and fees."
        )
    return found


def _trade(cells: dict[str, str], watched: set[str]) -> Trade:
    quantity = _number(cells["quantity"], "quantity")
    written = cells.get("type", "").strip().lower()
    if written and written not in KINDS:
        raise PositionError("The type is neither buy nor sell.")
    kind = KINDS[written] if written else ("sell" if quantity < 0 else "buy")
    try:
        symbol = normalize_symbol(cells["symbol"])
    except ValueError:  # its own message repeats the cell, which the preview shows anyway
        raise PositionError("The symbol is not a ticker symbol.") from None
    checked = trade(
        kind,
        symbol,
        _day(cells["date"]),
        abs(quantity),
        _number(cells["price"], "price"),
        abs(_number(cells.get("fees", ""), "fees")),
    )
    if checked.symbol not in watched:
        raise PositionError(f"{checked.symbol} is on none of your lists: add it first.")
    return checked


def _key(new: Trade, seen: Counter[str]) -> str:
    content = f"{new.kind}|{new.symbol}|{new.day}|{new.quantity!r}|{new.price!r}|{new.fees!r}"
    seen[content] += 1
    digest = hashlib.sha256(f"{content}#{seen[content]}".encode()).hexdigest()
    return f"csv:{digest[:40]}"


def preview_import(engine: Engine, user_id: int, data: bytes) -> ImportPreview:
    """Read ``data`` into a preview; writes nothing. An ``ImportFileError`` says why a file
    cannot be read at all."""
    header, lines = _table(data)
    columns = _columns(header)
    watched, stored = set(get_picks(engine, user_id)), import_keys(engine, user_id)
    seen: Counter[str] = Counter()
    rows: list[dict[str, object]] = []
    trades: list[Trade] = []
    line_of: dict[int, int] = {}
    for line, cells in enumerate(lines, start=2):
        named = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
        shown = {"line": line, **{c: named.get(c, "") for c in PREVIEW_COLUMNS[1:7]}}
        try:
            new = _trade(named, watched)
        except PositionError as error:
            rows.append({**shown, "status": str(error)})
            continue
        new = replace(new, import_key=_key(new, seen))
        shown.update(type=new.kind, symbol=new.symbol, date=new.day.isoformat())
        rows.append({**shown, "status": ALREADY if new.import_key in stored else NEW})
        if new.import_key not in stored:
            line_of[len(trades)] = len(rows) - 1
            trades.append(new)
    preview = pd.DataFrame(rows, columns=PREVIEW_COLUMNS).astype({"quantity": str, "price": str})
    _mark_oversold(engine, user_id, trades, preview, line_of)
    return ImportPreview(preview, tuple(trades))


def _mark_oversold(
    engine: Engine,
    user_id: int,
    trades: list[Trade],
    preview: pd.DataFrame,
    line_of: dict[int, int],
) -> None:
    """Name each new sale that would sell shares not held on its day, with everything stored
    and every new row of the file counted."""
    book = book_of(engine, user_id)
    first_new = 1 + max([0, *book.lots["id"], *book.sales["id"]])
    bought: list[dict[str, object]] = []
    sold: list[dict[str, object]] = []
    for index, new in enumerate(trades):
        day = "bought_on" if new.kind == "buy" else "sold_on"
        (bought if new.kind == "buy" else sold).append(
            {"id": first_new + index, "symbol": new.symbol, day: new.day,
             "quantity": new.quantity, "price": new.price, "fees": new.fees}
        )  # fmt: skip
    combined = Book(
        pd.concat([book.lots, pd.DataFrame(bought, columns=book.lots.columns)], ignore_index=True),
        pd.concat([book.sales, pd.DataFrame(sold, columns=book.sales.columns)], ignore_index=True),
    )
    for sale in match_fifo(combined).oversold().itertuples():
        held = sale.quantity - sale.unmatched
        reason = f"more than the {held:g} {sale.symbol} held on {sale.sold_on:%Y-%m-%d}"
        index = int(sale.id) - first_new
        if index in line_of:
            preview.loc[line_of[index], "status"] = f"Sells {reason}."
            continue
        for earlier, new in enumerate(trades):  # a stored sale that a new sale would oversell
            if new.kind == "sell" and new.symbol == sale.symbol and new.day <= sale.sold_on:
                preview.loc[line_of[earlier], "status"] = (
                    f"Leaves your stored sale of {sale.quantity:g} on {sale.sold_on:%Y-%m-%d} "
                    f"selling {reason}."
                )


def confirm_import(engine: Engine, user_id: int, preview: ImportPreview) -> int:
    """Store the preview's new rows, all or none; how many were stored."""
    if not preview.refused.empty:
        raise PositionError("Mend or remove the refused rows first: nothing was imported.")
    stored = import_keys(engine, user_id)
    fresh = [t for t in preview.trades if t.import_key not in stored]
    save_trades(engine, user_id, fresh)
    return len(fresh)
