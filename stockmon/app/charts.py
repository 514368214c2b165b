"""Plotly figures for the charts page, in the person's time zone."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import tzinfo

import pandas as pd
import plotly.graph_objects as go

from stockmon.app.presentation import FLAT, GAIN, LOSS, change_color
from stockmon.domain.export import csv_text
from stockmon.domain.money import PLOTLY_CHANGE_PERCENT, PLOTLY_MONEY, money

# Comparison lines: distinct hues that are neither the gain green nor the loss red.
SERIES_COLORS = [
    "#2563eb", "#f59e0b", "#7c3aed", "#0891b2", "#db2777", "#78716c", "#4f46e5", "#ea580c",
    "#a16207",
]  # fmt: skip

_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    "hovermode": "x unified",
    "height": 320,
    "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
}
PLOTLY_CONFIG = {"displaylogo": False}
# Plotly writes the date under the first time tick: room is made for it, so it is not cut off.
_TIME_AXIS = {"automargin": True}


def _local(times: pd.Series, zone: tzinfo) -> pd.Series:
    return pd.to_datetime(times, utc=True).dt.tz_convert(zone)


def price_figure(
    series: pd.DataFrame, previous_close: float | None, zone: tzinfo, symbol: str
) -> go.Figure:
    """Price over time, coloured by the move against the previous close (a labelled line)."""
    last = float(series["price"].iloc[-1])
    close = math.nan if previous_close is None else previous_close
    has_close = not math.isnan(close)
    color = change_color(last - close) if has_close else FLAT
    figure = go.Figure(
        go.Scatter(
            x=_local(series["ts"], zone),
            y=series["price"],
            mode="lines",
            name=symbol,
            line={"color": color, "width": 2},
            hovertemplate=f"%{{y:{PLOTLY_MONEY}}}<extra></extra>",
        )
    )
    if has_close:
        figure.add_hline(
            y=close,
            line_dash="dot",
            line_color=FLAT,
            annotation_text=f"previous close {money(close)}",
            annotation_position="top left",
            annotation_font_color=FLAT,
            annotation_bgcolor="rgba(255, 255, 255, 0.8)",
        )
    figure.update_layout(showlegend=False, **_LAYOUT)
    figure.update_xaxes(**_TIME_AXIS)
    figure.update_yaxes(tickformat=PLOTLY_MONEY, automargin=True)
    return figure


def symbol_colors(picks: Sequence[str]) -> dict[str, str]:
    """Each of a person's picks' colour: by its place in their list, so it is the same in
    every range and whichever of the others are shown beside it."""
    return {symbol: SERIES_COLORS[i % len(SERIES_COLORS)] for i, symbol in enumerate(picks)}


def comparison_figure(
    history: pd.DataFrame, zone: tzinfo, order: Sequence[str], colors: dict[str, str]
) -> go.Figure:
    """Each symbol of ``order`` as % change from its first price in the range, on one chart,
    in ``colors`` (``symbol_colors``)."""
    figure = go.Figure()
    for symbol in order:
        series = history[history["symbol"] == symbol]
        if series.empty:
            continue
        base = float(series["price"].iloc[0])
        figure.add_trace(
            go.Scatter(
                x=_local(series["ts"], zone),
                y=(series["price"] / base - 1) * 100,
                mode="lines",
                name=symbol,
                line={"color": colors.get(symbol, FLAT), "width": 2},
                hovertemplate=f"{symbol} %{{y:{PLOTLY_CHANGE_PERCENT}}}%<extra></extra>",
            )
        )
    figure.add_hline(y=0, line_color=FLAT, line_width=1)
    figure.update_layout(**_LAYOUT)
    figure.update_xaxes(**_TIME_AXIS)
    figure.update_yaxes(ticksuffix="%", automargin=True)
    return figure


def history_csv(history: pd.DataFrame, zone: tzinfo) -> str:
    """The prices charted, as a CSV file: symbol, time (ISO 8601 in ``zone``), price."""
    return csv_text(
        pd.DataFrame(
            {
                "symbol": history["symbol"],
                "time": _local(history["ts"], zone).map(lambda moment: moment.isoformat()),
                "price": history["price"],
            }
        )
    )


def spending_figure(buckets: pd.DataFrame, zone: tzinfo) -> go.Figure:
    """Requests per time bucket (``start``, ``requests``): how the budget was spent."""
    figure = go.Figure(
        go.Bar(
            x=_local(buckets["start"], zone),
            y=buckets["requests"],
            marker_color=SERIES_COLORS[0],
            hovertemplate="%{x|%H:%M}: %{y} requests<extra></extra>",
        )
    )
    figure.update_layout(**(_LAYOUT | {"height": 220, "hovermode": "closest"}))
    figure.update_xaxes(**_TIME_AXIS)
    figure.update_yaxes(rangemode="tozero", dtick=1 if buckets["requests"].max() < 6 else None)
    return figure


def portfolio_figure(values: pd.DataFrame, zone: tzinfo) -> go.Figure:
    """The value of what was held over time (``ts``, ``currency``, ``value``): one line per
    currency, never one sum over several."""
    figure = go.Figure()
    for index, (currency, series) in enumerate(values.groupby("currency", sort=True)):
        figure.add_trace(
            go.Scatter(
                x=_local(series["ts"], zone),
                y=series["value"],
                mode="lines",
                name=currency,
                line={"color": SERIES_COLORS[index % len(SERIES_COLORS)], "width": 2},
                hovertemplate=f"%{{y:{PLOTLY_MONEY}}} {currency}<extra></extra>",
            )
        )
    figure.update_layout(**_LAYOUT)
    figure.update_xaxes(**_TIME_AXIS)
    figure.update_yaxes(tickformat=PLOTLY_MONEY, automargin=True)
    return figure


def volume_figure(bars: pd.DataFrame) -> go.Figure:
    """Shares traded each day (``day``, ``volume``), as bars under the price chart."""
    figure = go.Figure(
        go.Bar(
            x=bars["day"],
            y=bars["volume"],
            marker_color=FLAT,
            hovertemplate="%{x|%d %b %Y}: %{y:,.0f} shares<extra></extra>",
        )
    )
    figure.update_layout(**(_LAYOUT | {"height": 140, "hovermode": "closest"}))
    figure.update_xaxes(**_TIME_AXIS)
    figure.update_yaxes(rangemode="tozero", automargin=True)
    return figure


def candle_figure(bars: pd.DataFrame, symbol: str) -> go.Figure:
    """One symbol's daily bars as candlesticks: green up days, red down days."""
    figure = go.Figure(
        go.Candlestick(
            x=bars["day"],
            open=bars["open"],
            high=bars["high"],
            low=bars["low"],
            close=bars["close"],
            name=symbol,
            increasing_line_color=GAIN,
            decreasing_line_color=LOSS,
        )
    )
    figure.update_layout(showlegend=False, xaxis_rangeslider_visible=False, **_LAYOUT)
    figure.update_xaxes(**_TIME_AXIS)
    figure.update_yaxes(tickformat=PLOTLY_MONEY, automargin=True)
    return figure
