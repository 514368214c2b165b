"""Positions on screen: valued at the shared snapshot's quotes, a table and per-currency totals
(used by the dashboard and the Positions page)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.elements.lib.column_types import ColumnConfig

from stockmon.app import ui
from stockmon.app.presentation import change_color, with_dashes
from stockmon.domain.gains import Book, Holdings, holdings
from stockmon.domain.money import (
    CHANGE_PERCENT,
    MONEY,
    SIGNED_MONEY,
    change_percent,
    money,
    signed_money,
)

POSITION_FORMATS = {
    "quantity": "{:g}",
    "cost": MONEY,
    "price": MONEY,
    "market_value": MONEY,
    "day_gain": SIGNED_MONEY,
    "total_gain": SIGNED_MONEY,
    "total_gain_percent": CHANGE_PERCENT,
    "realised_gain": SIGNED_MONEY,
}
GAIN_COLUMNS = ["day_gain", "total_gain", "total_gain_percent", "realised_gain"]
SYMBOL_PIXELS = 9  # a symbol's character in the table's font, with room to spare


def symbol_column(symbols: pd.Series) -> ColumnConfig:
    """The pinned Symbol column, as wide as the longest symbol shown: never cut off."""
    longest = max((len(str(s)) for s in symbols), default=4)
    return st.column_config.TextColumn(
        "Symbol", pinned=True, width=max(70, SYMBOL_PIXELS * longest + 24)
    )


def colored_gains(table: Styler, columns: list[str]) -> Styler:
    """``columns`` of a styled table: gains green, losses red."""
    return table.map(lambda gain: f"color: {change_color(gain)}; font-weight: 600", subset=columns)


def positions_table(held: Holdings) -> Styler:
    """One row per position as shown: formatted, "—" where empty, gains green and losses red."""
    return colored_gains(with_dashes(held.positions, POSITION_FORMATS), GAIN_COLUMNS)


def holdings_of(book: Book) -> Holdings:
    """The book's positions at the latest quotes every dashboard shares: no query of its own,
    so a dashboard refresh costs the database nothing more."""
    return holdings(book, ui.market_snapshot().quotes.reset_index(), ui.symbol_currencies())


def show_holdings(held: Holdings) -> None:
    """Per-currency totals as metrics, then one row per position."""
    for total, column in zip(
        held.totals.itertuples(), st.columns(max(len(held.totals), 1)), strict=False
    ):
        percent = (
            ""
            if pd.isna(total.total_gain_percent)
            else f" ({change_percent(total.total_gain_percent)})"
        )
        column.metric(
            f"Market value · {total.currency}",
            money(total.market_value),
            f"{signed_money(total.day_gain)} today",
            border=True,
        )
        realised = f" · realised {signed_money(total.realised_gain)}" if total.realised_gain else ""
        column.caption(
            f"Total gain {signed_money(total.total_gain)}{percent} on "
            f"{money(total.cost)} paid{realised}"
        )
    if held.positions.empty:
        st.caption("Every share bought has been sold.")
        return
    st.dataframe(
        positions_table(held),
        hide_index=True,
        width="stretch",
        column_config={
            "symbol": symbol_column(held.positions["symbol"]),
            "currency": "Currency",
            "quantity": st.column_config.NumberColumn("Quantity"),
            "cost": st.column_config.NumberColumn("Cost"),
            "price": st.column_config.NumberColumn("Price"),
            "market_value": st.column_config.NumberColumn("Market value"),
            "day_gain": st.column_config.NumberColumn("Day's gain"),
            "total_gain": st.column_config.NumberColumn("Total gain"),
            "total_gain_percent": st.column_config.NumberColumn("Total gain %"),
            "realised_gain": st.column_config.NumberColumn(
                "Realised", help="What this symbol's sales gained, first in, first out"
            ),
        },
    )
