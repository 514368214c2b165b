"""The new-alert form, used by the dashboard and the Alerts page: the symbol and condition
rerun the page when changed, so the threshold starts at the chosen symbol's current price."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from stockmon.app import refusals, ui
from stockmon.domain import alert_kinds
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.earnings import HORIZON
from stockmon.domain.money import input_format


def current_price(symbol: str) -> float | None:
    """The symbol's latest price in the shared snapshot (None without a quote)."""
    quotes = ui.market_snapshot().quotes
    if symbol not in quotes.index or pd.isna(quotes.at[symbol, "price"]):
        return None
    return float(quotes.at[symbol, "price"])


def new_rule_form(
    user_id: int,
    choices: Sequence[str],
    key: str,
    *,
    label: Callable[[str], str] = str,
    preset: str | None = None,
    details: bool = False,
) -> None:
    """Symbol, condition and threshold (with ``details``: a note and "only once"), and the
    button that creates the rule."""
    symbol = st.selectbox(
        "Symbol",
        choices,
        index=choices.index(preset) if preset in choices else 0,
        format_func=label,
        key=f"{key}_symbol",
    )
    kind = st.selectbox(
        "Condition",
        list(alert_kinds.KIND_CHOICES),
        format_func=alert_kinds.KIND_CHOICES.__getitem__,
        key=f"{key}_kind",
    )
    if symbol is None or kind is None:
        return
    start = alert_kinds.starting_threshold(kind, current_price(symbol))
    in_days = kind in alert_kinds.EARNINGS_KINDS
    with st.form(key, clear_on_submit=True, border=False):
        threshold = st.number_input(
            "Days before the report" if in_days else "Threshold",
            min_value=0.0,
            max_value=float(HORIZON.days) if in_days else None,
            value=start,
            step=1.0,
            format="%.0f" if in_days else input_format(start),
            placeholder="no quote yet: type a price",
            key=f"{key}_threshold_{symbol}_{kind}",  # a new symbol or condition: a new start
        )
        note = st.text_input("Note (optional)", max_chars=200) if details else ""
        one_shot = details and st.checkbox("Only once (pause the rule after it fires)")
        if st.form_submit_button("Create alert", type="primary"):
            with refusals.shown():
                create_rule(ui.engine(), user_id, symbol, kind, threshold, note, one_shot)
                written = alert_kinds.describe(kind, threshold or 0.0)
                st.success(f"Alert created: {symbol} {written}.")
