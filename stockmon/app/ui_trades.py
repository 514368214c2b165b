"""The Positions page's editing: a purchase or sale form, a broker's CSV import with its
preview, and the lots and sales as tables with a way to remove one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import pandas as pd
import streamlit as st

from stockmon.app import refusals, ui
from stockmon.app.presentation import with_dashes
from stockmon.app.ui_positions import colored_gains, symbol_column
from stockmon.domain.gains import Holdings
from stockmon.domain.models import utcnow
from stockmon.domain.money import COLUMN_MONEY, SIGNED_MONEY, currency_label, money
from stockmon.domain.positions import PositionError, add_lot, record_sale
from stockmon.domain.trade_import import (
    MAX_IMPORT_ROWS,
    PREVIEW_COLUMNS,
    confirm_import,
    preview_import,
)

IMPORT_HELP = (
    "A header row naming the columns **type** (buy or sell), **symbol**, **date** "
    "(YYYY-MM-DD), **quantity**, **price** (per share, in the listing's currency) and, "
    f"optional, **fees**; at most {MAX_IMPORT_ROWS:,} rows. Every symbol must be on one of "
    "your lists. Nothing is stored until you confirm, and importing the same file again adds "
    "nothing twice."
)


def _symbol_label(symbol: str) -> str:
    """A symbol as chosen where a price is entered: its name and the currency the price is in."""
    name = ui.symbol_names().get(symbol, "")
    currency = currency_label(ui.symbol_currencies().get(symbol))
    return " · ".join(part for part in (symbol, name, currency) if part)


def trade_form(user_id: int, picks: list[str], kind: Literal["buy", "sell"]) -> None:
    """A form that records one purchase (a lot) or one sale."""
    today = utcnow().date()
    with st.form(f"new_{kind}", clear_on_submit=True):
        left, middle, right = st.columns(3)
        symbol = left.selectbox("Symbol", picks, index=None, format_func=_symbol_label)
        day = middle.date_input(
            "Bought on" if kind == "buy" else "Sold on", value=today, max_value=today
        )
        quantity = right.number_input("Quantity", min_value=0.0, value=1.0, step=1.0, format="%g")
        price_column, fees_column, _ = st.columns(3)
        price = price_column.number_input(
            f"Price {'paid' if kind == 'buy' else 'received'} per share",
            min_value=0.0,
            step=1.0,
            help="In the listing's currency, shown beside the symbol: GBX is pence.",
        )
        fees = fees_column.number_input("Fees", min_value=0.0, step=1.0)
        label = "Add lot" if kind == "buy" else "Record sale"
        icon = ":material/add:" if kind == "buy" else ":material/sell:"
        if st.form_submit_button(label, type="primary", icon=icon):
            with refusals.shown():
                if symbol is None:
                    raise PositionError(
                        f"Choose the symbol you {'bought' if kind == 'buy' else 'sold'}."
                    )
                record = add_lot if kind == "buy" else record_sale
                record(ui.engine(), user_id, symbol, day or today, quantity, price, fees)
                done = "Added" if kind == "buy" else "Recorded the sale of"
                st.toast(f"{done} {quantity:g} {symbol}.", icon=":material/check:")


def import_form(user_id: int) -> None:
    """A CSV's rows previewed, each refused one with why; stored on confirmation."""
    st.markdown(IMPORT_HELP)
    upload = st.file_uploader("Broker CSV", type=["csv", "txt"], key="trades_csv")
    if upload is None:
        return
    with refusals.shown():
        preview = preview_import(ui.engine(), user_id, upload.getvalue())
        st.dataframe(
            preview.rows.style.map(
                lambda status: "" if status in ("new", "already imported") else "color: #c62828",
                subset=["status"],
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "line": st.column_config.NumberColumn("Line", format="%d"),
                **{name: name.capitalize() for name in PREVIEW_COLUMNS[1:]},
            },
        )
        refused, new = len(preview.refused), len(preview.trades)
        if refused:
            st.error(
                f"{refused} of {len(preview.rows)} rows are refused (their status says why): "
                "mend the file and upload it again. Nothing was imported."
            )
        elif not new:
            st.info("Every row of this file is already imported.")
        elif st.button(f"Import {new} new rows", type="primary", icon=":material/upload:"):
            stored = confirm_import(ui.engine(), user_id, preview)
            st.toast(f"Imported {stored} rows.", icon=":material/check:")
            st.rerun()


def show_lots(lots: pd.DataFrame) -> None:
    st.dataframe(
        lots.drop(columns=["id"]),
        hide_index=True,
        column_config={
            "symbol": symbol_column(lots["symbol"]),
            "bought_on": st.column_config.DateColumn("Bought on"),
            "quantity": st.column_config.NumberColumn("Quantity", format="%g"),
            "price": st.column_config.NumberColumn("Price paid", format=COLUMN_MONEY),
            "fees": st.column_config.NumberColumn("Fees", format=COLUMN_MONEY),
        },
    )


def show_sales(held: Holdings) -> None:
    """Each sale with its proceeds, the cost of the shares it sold, and the gain."""
    sales = held.realised.drop(columns=["id", "unmatched"])
    st.dataframe(
        colored_gains(with_dashes(sales, {"gain": SIGNED_MONEY}), ["gain"]),
        hide_index=True,
        column_config={
            "symbol": symbol_column(sales["symbol"]),
            "currency": "Currency",
            "sold_on": st.column_config.DateColumn("Sold on"),
            "quantity": st.column_config.NumberColumn("Quantity", format="%g"),
            "proceeds": st.column_config.NumberColumn("Proceeds", format=COLUMN_MONEY),
            "cost": st.column_config.NumberColumn("Cost of the shares", format=COLUMN_MONEY),
            "gain": st.column_config.NumberColumn("Realised gain"),
        },
    )


def lot_labels(lots: pd.DataFrame) -> dict[int, str]:
    return {
        int(lot.id): f"{lot.symbol} · {lot.quantity:g} bought on {lot.bought_on:%Y-%m-%d}"
        f" at {money(lot.price)}"
        for lot in lots.itertuples()
    }


def sale_labels(sales: pd.DataFrame) -> dict[int, str]:
    return {
        int(sale.id): f"{sale.symbol} · {sale.quantity:g} sold on {sale.sold_on:%Y-%m-%d}"
        f" at {money(sale.price)}"
        for sale in sales.itertuples()
    }


def remove_control(
    what: str, labels: dict[int, str], user_id: int, remove: Callable[..., None]
) -> None:
    """A choice of one row and a button that removes it (refused, with why, when it cannot)."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(
        f"Remove a {what}", list(labels), index=None, format_func=labels.__getitem__
    )
    clicked = right.button(
        "Remove", icon=":material/delete:", disabled=chosen is None, key=f"remove_{what}"
    )
    if clicked and chosen is not None:
        with refusals.shown():
            remove(ui.engine(), user_id, chosen)
            st.rerun()
