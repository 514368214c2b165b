"""The charts the pages draw, in the person's time zone.

Lines and bars are Vega-Lite (Altair): a page of them loads in about half the time Plotly's
do, since Streamlit's Vega-Lite code is a sixth the size of its Plotly bundle
(``bench/pages.py``). The candlesticks are Plotly's, whose OHLC trace with its hover of open,
high, low and close is what that view is for; it is drawn only when asked for.

Times go to the browser as the person's wall-clock times on a UTC scale, so every axis and
tooltip reads in the person's zone whatever the browser's own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, tzinfo
from typing import Literal

import altair as alt
import pandas as pd
import plotly.graph_objects as go

from stockmon.app.presentation import FLAT, GAIN, LOSS, change_color
from stockmon.domain.export import csv_text
from stockmon.domain.money import CHART_CHANGE_PERCENT, CHART_MONEY, money

# Comparison lines: distinct hues that are neither the gain green nor the loss red.
SERIES_COLORS = [
    "#2563eb", "#f59e0b", "#7c3aed", "#0891b2", "#db2777", "#78716c", "#4f46e5", "#ea580c",
    "#a16207",
]  # fmt: skip
HEIGHT = 320
PLOTLY_CONFIG = {"displaylogo": False}
_PLOTLY_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    "hovermode": "x unified",
    "height": HEIGHT,
}
_TIME_TOOLTIP = alt.Tooltip(
    "time:T", title="time", timeUnit="utcyearmonthdatehoursminutes", format="%a %-d %b %H:%M"
)


def _local(times: pd.Series, zone: tzinfo) -> pd.Series:
    return pd.to_datetime(times, utc=True).dt.tz_convert(zone)


def _wall_clock(times: pd.Series, zone: tzinfo) -> pd.Series:
    """``times`` as the person's wall-clock times written as UTC ones, for a UTC scale to show
    as they are (a time without a zone would be read in the browser's)."""
    return _local(times, zone).dt.tz_localize(None).dt.tz_localize(UTC)


# (longest span, label format, tick interval or None for Vega's choice), shortest first
_TIME_LABELS: list[tuple[pd.Timedelta, str, Literal["day", "month"] | None]] = [
    (pd.Timedelta(minutes=15), "%H:%M:%S", None),
    (pd.Timedelta(days=2), "%H:%M", None),
    (pd.Timedelta(days=14), "%a %-d", "day"),
    (pd.Timedelta(days=366), "%-d %b", None),
]


def _time_axis(times: pd.Series) -> alt.X:
    """The time axis, its labels written for the span shown (seconds over a few minutes,
    clock times within two days, days within a year, months beyond), none twice."""
    span = times.max() - times.min() if len(times) else pd.Timedelta(0)
    label, ticks = next(
        ((label, ticks) for longest, label, ticks in _TIME_LABELS if span <= longest),
        ("%b %Y", "month"),
    )
    axis = alt.Axis(  # on a UTC scale, labels are written in UTC
        format=label, labelFlush=True, labelOverlap=True, tickCount=ticks or alt.Undefined
    )
    return alt.X("time:T", title=None, scale=alt.Scale(type="utc"), axis=axis)


def _hovered(line: alt.Chart, tooltip: list[alt.Tooltip]) -> alt.LayerChart:
    """``line`` with a rule and points at the time nearest the pointer, and a tooltip there."""
    nearest = alt.selection_point(
        nearest=True, on="pointerover", fields=["time"], empty=False, clear="pointerout"
    )
    rule = (
        alt.Chart(line.data)
        .mark_rule(color=FLAT, strokeWidth=1)
        .encode(
            x=line.encoding.x,
            opacity=alt.when(nearest).then(alt.value(0.6)).otherwise(alt.value(0)),
            tooltip=tooltip,
        )
        .add_params(nearest)
    )
    points = line.mark_point(filled=True, size=40).encode(
        opacity=alt.when(nearest).then(alt.value(1)).otherwise(alt.value(0))
    )
    return alt.LayerChart(layer=[line, rule, points], height=HEIGHT)


def price_figure(
    series: pd.DataFrame, previous_close: float | None, zone: tzinfo, symbol: str
) -> alt.LayerChart:
    """Price over time, coloured by the move against the previous close (a labelled line)."""
    last = float(series["price"].iloc[-1])
    close = math.nan if previous_close is None else previous_close
    has_close = not math.isnan(close)
    color = change_color(last - close) if has_close else FLAT
    data = pd.DataFrame({"time": _wall_clock(series["ts"], zone), "price": series["price"]})
    price = alt.Y(
        "price:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format=CHART_MONEY)
    )
    line = (
        alt.Chart(data)
        .mark_line(color=color, strokeWidth=2)
        .encode(x=_time_axis(data["time"]), y=price)
    )
    tooltip = [_TIME_TOOLTIP, alt.Tooltip("price:Q", title=symbol, format=CHART_MONEY)]
    chart = _hovered(line, tooltip)
    if has_close:
        level = alt.Chart(
            pd.DataFrame({"price": [close], "label": [f"previous close {money(close)}"]})
        )
        chart += level.mark_rule(color=FLAT, strokeDash=[2, 3]).encode(y="price:Q")
        chart += level.mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=FLAT).encode(
            y="price:Q", x=alt.value(0), text="label:N"
        )
    return chart


def symbol_colors(picks: Sequence[str]) -> dict[str, str]:
    """Each of a person's picks' colour: by its place in their list, so it is the same in
    every range and whichever of the others are shown beside it."""
    return {symbol: SERIES_COLORS[i % len(SERIES_COLORS)] for i, symbol in enumerate(picks)}


def _legend_colors(names: Sequence[str], colors: Sequence[str]) -> alt.Color:
    return alt.Color(
        "symbol:N",
        title=None,
        sort=list(names),
        scale=alt.Scale(domain=list(names), range=list(colors)),
        legend=alt.Legend(orient="top", direction="horizontal"),
    )


def comparison_figure(
    history: pd.DataFrame, zone: tzinfo, order: Sequence[str], colors: dict[str, str]
) -> alt.LayerChart:
    """Each symbol of ``order`` as % change from its first price in the range, on one chart,
    in ``colors`` (``symbol_colors``)."""
    shown = [symbol for symbol in order if (history["symbol"] == symbol).any()]
    parts = []
    for symbol in shown:
        series = history[history["symbol"] == symbol]
        base = float(series["price"].iloc[0])
        parts.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "time": _wall_clock(series["ts"], zone),
                    "change": (series["price"] / base - 1) * 100,
                }
            )
        )
    data = pd.concat(parts, ignore_index=True)
    change = alt.Y(
        "change:Q",
        title=None,
        axis=alt.Axis(format=CHART_CHANGE_PERCENT, labelExpr="datum.label + '%'"),
    )
    line = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=_time_axis(data["time"]),
            y=change,
            color=_legend_colors(shown, [colors.get(s, FLAT) for s in shown]),
        )
    )
    tooltip = [
        _TIME_TOOLTIP,
        alt.Tooltip("symbol:N", title="symbol"),
        alt.Tooltip("change:Q", title="% change", format=CHART_CHANGE_PERCENT),
    ]
    zero = alt.Chart(pd.DataFrame({"change": [0.0]})).mark_rule(color=FLAT, strokeWidth=1)
    return _hovered(line, tooltip) + zero.encode(y="change:Q")


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


def spending_figure(buckets: pd.DataFrame, zone: tzinfo) -> alt.Chart:
    """Requests per time bucket (``start``, ``requests``): how the budget was spent."""
    data = pd.DataFrame(
        {"time": _wall_clock(buckets["start"], zone), "requests": buckets["requests"]}
    )
    axis = alt.Axis(tickMinStep=1, format="d")
    return (
        alt.Chart(data)
        .mark_bar(color=SERIES_COLORS[0])
        .encode(
            x=_time_axis(data["time"]),
            y=alt.Y("requests:Q", title=None, axis=axis),
            tooltip=[_TIME_TOOLTIP, alt.Tooltip("requests:Q", title="requests")],
        )
        .properties(height=220)
    )


def portfolio_figure(values: pd.DataFrame, zone: tzinfo) -> alt.LayerChart:
    """The value of what was held over time (``ts``, ``currency``, ``value``): one line per
    currency, never one sum over several."""
    currencies = sorted(values["currency"].unique())
    data = pd.DataFrame(
        {
            "symbol": values["currency"],
            "time": _wall_clock(values["ts"], zone),
            "value": values["value"],
        }
    )
    colors = [SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(len(currencies))]
    value = alt.Y(
        "value:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format=CHART_MONEY)
    )
    line = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(x=_time_axis(data["time"]), y=value, color=_legend_colors(currencies, colors))
    )
    tooltip = [
        _TIME_TOOLTIP,
        alt.Tooltip("symbol:N", title="currency"),
        alt.Tooltip("value:Q", title="value", format=CHART_MONEY),
    ]
    return _hovered(line, tooltip)


def volume_figure(bars: pd.DataFrame) -> alt.Chart:
    """Shares traded each day (``day``, ``volume``), as bars under the price chart."""
    days = pd.to_datetime(bars["day"]).dt.tz_localize(UTC)  # midnight, as the days' labels
    data = pd.DataFrame({"time": days, "volume": bars["volume"]})
    return (
        alt.Chart(data)
        .mark_bar(color=FLAT)
        .encode(
            x=_time_axis(data["time"]),
            y=alt.Y("volume:Q", title=None, axis=alt.Axis(format="~s")),
            tooltip=[
                alt.Tooltip("time:T", title="day", timeUnit="utcyearmonthdate", format="%-d %b %Y"),
                alt.Tooltip("volume:Q", title="shares", format=",.0f"),
            ],
        )
        .properties(height=140)
    )


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
    figure.update_layout(showlegend=False, xaxis_rangeslider_visible=False, **_PLOTLY_LAYOUT)
    figure.update_xaxes(automargin=True)  # room for the date under the first tick
    figure.update_yaxes(tickformat=CHART_MONEY, automargin=True)
    return figure
