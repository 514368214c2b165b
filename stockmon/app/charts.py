"""The charts the pages draw, in the person's time zone.

Lines and bars are uPlot's (``time_chart``): light enough that a page of charts opens about as
fast as a page of tables. The candlesticks are Plotly's, whose OHLC trace with its hover of
open, high, low and close is what that view is for; it is drawn only when asked for.

Times go to the browser as the person's wall-clock times on a UTC scale, so every axis and
legend reads in the person's zone whatever the browser's own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, tzinfo

import pandas as pd
import plotly.graph_objects as go

from stockmon.app.presentation import FLAT, GAIN, LOSS, change_color
from stockmon.app.time_chart import (
    POINTER_DAY,
    Reference,
    TimeChart,
    one_line,
    series_over_time,
)
from stockmon.domain.export import csv_text
from stockmon.domain.money import BROWSER_CHANGE_PERCENT, BROWSER_MONEY, CHART_MONEY, money

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
_WHOLE: dict[str, object] = {"maximumFractionDigits": 0}
_COMPACT: dict[str, object] = {"notation": "compact", "maximumFractionDigits": 1}


def _local(times: pd.Series, zone: tzinfo) -> pd.Series:
    return pd.to_datetime(times, utc=True).dt.tz_convert(zone)


def _wall_clock(times: pd.Series, zone: tzinfo) -> pd.Series:
    """``times`` as the person's wall-clock times written as UTC ones, for a UTC scale to show
    as they are (a time without a zone would be read in the browser's)."""
    return _local(times, zone).dt.tz_localize(None).dt.tz_localize(UTC)


def price_figure(
    series: pd.DataFrame, previous_close: float | None, zone: tzinfo, symbol: str
) -> TimeChart:
    """Price over time, coloured by the move against the previous close (a labelled line)."""
    last = float(series["price"].iloc[-1])
    close = math.nan if previous_close is None else previous_close
    has_close = not math.isnan(close)
    color = change_color(last - close) if has_close else FLAT
    times, lines = one_line(_wall_clock(series["ts"], zone), series["price"], symbol, color)
    reference = Reference(close, f"previous close {money(close)}") if has_close else None
    return TimeChart(times, lines, BROWSER_MONEY, reference=reference)


def symbol_colors(picks: Sequence[str]) -> dict[str, str]:
    """Each of a person's picks' colour: by its place in their list, so it is the same in
    every range and whichever of the others are shown beside it."""
    return {symbol: SERIES_COLORS[i % len(SERIES_COLORS)] for i, symbol in enumerate(picks)}


def comparison_figure(
    history: pd.DataFrame, zone: tzinfo, order: Sequence[str], colors: dict[str, str]
) -> TimeChart:
    """Each symbol of ``order`` as % change from its first price in the range, on one chart,
    in ``colors`` (``symbol_colors``)."""
    data = history.sort_values("ts", kind="stable")
    first = data.groupby("symbol")["price"].transform("first")
    changes = pd.DataFrame(
        {
            "symbol": data["symbol"],
            "time": _wall_clock(data["ts"], zone),
            "change": (data["price"] / first - 1) * 100,
        }
    )
    shown = [symbol for symbol in order if (changes["symbol"] == symbol).any()]
    times, lines = series_over_time(
        changes, "symbol", "change", shown, [colors.get(s, FLAT) for s in shown]
    )
    zero = Reference(0.0, dashed=False)
    return TimeChart(times, lines, BROWSER_CHANGE_PERCENT, suffix="%", reference=zero)


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


def spending_figure(buckets: pd.DataFrame, zone: tzinfo) -> TimeChart:
    """Requests per time bucket (``start``, ``requests``): how the budget was spent."""
    times, lines = one_line(
        _wall_clock(buckets["start"], zone), buckets["requests"], "requests", SERIES_COLORS[0]
    )
    return TimeChart(times, lines, _WHOLE, kind="bars", height=220)


def portfolio_figure(values: pd.DataFrame, zone: tzinfo) -> TimeChart:
    """The value of what was held over time (``ts``, ``currency``, ``value``): one line per
    currency, never one sum over several."""
    currencies = sorted(values["currency"].unique())
    data = pd.DataFrame(
        {
            "currency": values["currency"],
            "time": _wall_clock(values["ts"], zone),
            "value": values["value"],
        }
    )
    colors = [SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(len(currencies))]
    times, lines = series_over_time(data, "currency", "value", currencies, colors)
    return TimeChart(times, lines, BROWSER_MONEY)


def volume_figure(bars: pd.DataFrame) -> TimeChart:
    """Shares traded each day (``day``, ``volume``), as bars under the price chart."""
    days = pd.to_datetime(bars["day"]).dt.tz_localize(UTC)  # midnight, as the days' labels
    times, lines = one_line(days, bars["volume"], "shares", FLAT)
    return TimeChart(
        times, lines, _COMPACT, kind="bars", height=140, time_label="day", time_format=POINTER_DAY
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
