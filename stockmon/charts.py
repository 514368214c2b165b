"""Plotly figures for the charts page."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from stockmon.presentation import FLAT, change_color

_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "hovermode": "x unified",
    "height": 320,
    "legend": {"orientation": "h", "y": -0.15},
}


def price_figure(
    symbol: str, name: str, series: pd.DataFrame, previous_close: float | None
) -> go.Figure:
    """Price over time, coloured by the move against the previous close (drawn as a line)."""
    last = float(series["price"].iloc[-1])
    has_close = previous_close is not None and not math.isnan(previous_close)
    color = change_color(last - previous_close) if has_close else FLAT
    figure = go.Figure(
        go.Scatter(
            x=series["ts"],
            y=series["price"],
            mode="lines",
            name=symbol,
            line={"color": color, "width": 2},
            hovertemplate="%{y:,.2f}<extra></extra>",
        )
    )
    if has_close:
        figure.add_hline(
            y=previous_close,
            line_dash="dot",
            line_color=FLAT,
            annotation_text=f"previous close {previous_close:,.2f}",
            annotation_position="bottom right",
        )
    figure.update_layout(title=f"{symbol} · {name}", **_LAYOUT)
    figure.update_yaxes(tickformat=",.2f")
    return figure


def comparison_figure(history: pd.DataFrame) -> go.Figure:
    """Each symbol as % change from its first price in the range, on one chart."""
    figure = go.Figure()
    for symbol, series in history.groupby("symbol", sort=False):
        base = float(series["price"].iloc[0])
        figure.add_trace(
            go.Scatter(
                x=series["ts"],
                y=(series["price"] / base - 1) * 100,
                mode="lines",
                name=symbol,
                hovertemplate=f"{symbol} %{{y:+.2f}}%<extra></extra>",
            )
        )
    figure.add_hline(y=0, line_color=FLAT, line_width=1)
    figure.update_layout(**_LAYOUT)
    figure.update_yaxes(ticksuffix="%")
    return figure
