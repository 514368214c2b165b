"""Lines and bars over time, drawn in the browser by uPlot through a Streamlit component.

uPlot (MIT, bundled in ``assets/uplot``) is a 50 kB canvas chart: a page with one of its charts
loads about as fast as a page with a table, where Streamlit's Vega-Lite element alone costs more
than half a bare page's load again (``bench/pages.py``, docs/benchmarks.md). Its legend shows
the values under the pointer, so a hover needs no extra marks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import streamlit as st

_ASSETS = Path(__file__).parent / "assets"
# A comment first: Streamlit takes a one-line string for the path of a packaged asset.
_SCRIPT = "\n".join(
    [
        "/* stockmon time chart */",
        (_ASSETS / "uplot" / "uPlot.iife.min.js").read_text(),
        (_ASSETS / "time_chart.js").read_text(),
    ]
)
_STYLE = (
    "/* stockmon time chart */\n"
    + (_ASSETS / "uplot" / "uPlot.min.css").read_text()
    + (".u-legend { font: 13px 'Source Sans Pro', sans-serif; color: #334155; }")
)
_component = st.components.v2.component(
    "stockmon.time_chart",
    html='<div class="stockmon-chart"></div>',
    css=_STYLE,
    js=_SCRIPT,
)
HEIGHT = 320
# uPlot's date templates: the time under the pointer, and a day's
POINTER_TIME = "{WWW} {D} {MMM} {HH}:{mm}"
POINTER_DAY = "{D} {MMM} {YYYY}"


@dataclass(frozen=True)
class Line:
    """One series: its name in the legend, its colour, a value (or None) at each time."""

    label: str
    color: str
    values: list[float | None]


@dataclass(frozen=True)
class Reference:
    """A level drawn across the chart, such as the previous close or 0 %."""

    value: float
    label: str = ""
    dashed: bool = True


@dataclass(frozen=True)
class TimeChart:
    """What the browser draws. ``times`` are seconds since the epoch of the person's wall-clock
    times written as UTC, so every browser shows the person's clock; ``number_format`` is an
    ``Intl.NumberFormat`` option set (``money``), ``suffix`` follows each number."""

    times: list[float]
    series: list[Line]
    number_format: dict[str, object]
    suffix: str = ""
    kind: Literal["lines", "bars"] = "lines"
    reference: Reference | None = None
    height: int = HEIGHT
    time_label: str = "time"
    time_format: str = POINTER_TIME


_EPOCH = pd.Timestamp(0, tz="UTC")


def _seconds(times: pd.Series) -> list[float]:
    """Seconds since the epoch, whatever the resolution the times are held in."""
    return ((pd.to_datetime(times, utc=True) - _EPOCH) / pd.Timedelta(seconds=1)).tolist()


def _values(numbers: pd.Series) -> list[float | None]:
    """Numbers as JSON takes them: no NaN (a gap in the line)."""
    return [None if math.isnan(value) else float(value) for value in numbers.astype(float)]


def series_over_time(
    data: pd.DataFrame, by: str, value: str, order: Sequence[str], colors: Sequence[str]
) -> tuple[list[float], list[Line]]:
    """(times, one line per ``order`` entry) from rows of (``by``, ``time``, ``value``): every
    time of any series, each series holding its last value until its next point, as a price
    does (none before its first)."""
    table = data.pivot_table(index="time", columns=by, values=value, aggfunc="last").sort_index()
    table = table.ffill()
    lines = [
        Line(name, color, _values(table[name]))
        for name, color in zip(order, colors, strict=True)
        if name in table.columns
    ]
    return _seconds(table.index.to_series()), lines


def one_line(
    times: pd.Series, values: pd.Series, label: str, color: str
) -> tuple[list[float], list[Line]]:
    """(times, one line) of ``values`` at ``times`` (sharing an index), as ``series_over_time``
    gives them."""
    data = pd.DataFrame({"series": label, "time": times, "value": values})
    return series_over_time(data, "series", "value", [label], [color])


def draw(chart: TimeChart, key: str) -> None:
    """Put ``chart`` on the page (``key``: unique on the page, so a refresh redraws it)."""
    _component(data=asdict(chart), key=key)
