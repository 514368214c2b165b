"""What the providers' earnings calendars say: Alpha Vantage's ``EARNINGS_CALENDAR`` (CSV, every
company reporting within the horizon) and Finnhub's ``/calendar/earnings`` (JSON).

Both are read the same way: only the asked symbols are kept, a garbled row is left out (never
guessed), and a symbol listed twice keeps its earliest report from today on.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from stockmon.domain.earnings import EarningsDate, ReportTime, today
from stockmon.providers.base import ProviderError

MAX_CALENDAR_CHARS = 20_000_000  # a whole market's quarter is about 1 MB
AV_REQUIRED_COLUMNS = ("symbol", "reportDate")
AV_TIMES = {"pre-market": ReportTime.BEFORE_OPEN, "post-market": ReportTime.AFTER_CLOSE}
FINNHUB_TIMES = {
    "bmo": ReportTime.BEFORE_OPEN,
    "dmh": ReportTime.DURING_MARKET,
    "amc": ReportTime.AFTER_CLOSE,
}


def _day(raw: object) -> date | None:
    try:
        return date.fromisoformat(str(raw).strip()) if raw else None
    except ValueError:
        return None


def _estimate(raw: object) -> float | None:
    """An earnings-per-share estimate (negative allowed); None when absent or garbled."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return None
    try:
        value = float(raw)
    except ValueError:  # "", "None", garbage
        return None
    return value if math.isfinite(value) else None


def _earliest(reports: Iterable[EarningsDate], now: datetime) -> list[EarningsDate]:
    """Each symbol's earliest report from today on, earliest first."""
    first: dict[str, EarningsDate] = {}
    for report in reports:
        if report.day >= today(now) and (
            report.symbol not in first or report.day < first[report.symbol].day
        ):
            first[report.symbol] = report
    return sorted(first.values(), key=lambda report: (report.day, report.symbol))


def parse_alpha_vantage(text: str, symbols: Sequence[str], now: datetime) -> list[EarningsDate]:
    """The reports of ``symbols`` in an ``EARNINGS_CALENDAR`` CSV answer; raises
    ``ProviderError`` for a body that is not that calendar."""
    if len(text) > MAX_CALENDAR_CHARS:
        raise ProviderError(f"earnings calendar of {len(text)} characters: too large")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not set(AV_REQUIRED_COLUMNS) <= set(reader.fieldnames or ()):
        raise ProviderError("the answer is not an earnings calendar (no symbol, reportDate)")
    wanted = set(symbols)
    reports = []
    try:
        for row in reader:
            symbol, day = (row.get("symbol") or "").strip(), _day(row.get("reportDate"))
            if symbol not in wanted or day is None:
                continue
            time = AV_TIMES.get((row.get("timeOfTheDay") or "").strip(), ReportTime.UNKNOWN)
            fiscal_end, estimate = _day(row.get("fiscalDateEnding")), _estimate(row.get("estimate"))
            reports.append(EarningsDate(symbol, day, time, fiscal_end, estimate))
    except csv.Error as error:
        raise ProviderError(f"garbled earnings calendar: {error}") from None
    return _earliest(reports, now)


def parse_finnhub(
    body: Mapping[str, Any], symbols: Sequence[str], now: datetime
) -> list[EarningsDate]:
    """The reports of ``symbols`` in a ``/calendar/earnings`` answer; raises ``ProviderError``
    for a body without its list."""
    rows = body.get("earningsCalendar")
    if not isinstance(rows, list):
        raise ProviderError("the answer has no earningsCalendar list")
    wanted = set(symbols)
    reports = []
    for row in rows:
        if not isinstance(row, Mapping) or not isinstance(row.get("symbol"), str):
            continue
        if row["symbol"] not in wanted:
            continue
        if (day := _day(row.get("date"))) is None:
            continue
        time = FINNHUB_TIMES.get(str(row.get("hour") or ""), ReportTime.UNKNOWN)
        reports.append(
            EarningsDate(row["symbol"], day, time, None, _estimate(row.get("epsEstimate")))
        )
    return _earliest(reports, now)
