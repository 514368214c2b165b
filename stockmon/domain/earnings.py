"""When companies next report earnings, in one vocabulary for the providers, the scheduler and
the pages: what a report's time of day is called, how far away a report is, how it reads on
screen, and which stored dates are still to come.

Days are counted on the UTC calendar, so the scheduler's alerts and every page agree on what
"in 3 days" means wherever they run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from stockmon.domain.models import EarningsReport

HORIZON = timedelta(days=90)  # how far ahead providers are asked (Alpha Vantage's "3month")
CHECK_EVERY = timedelta(days=1)  # a symbol's date is asked again after this
SOON = timedelta(days=14)  # a report this close is flagged on the dashboard


class ReportTime(StrEnum):
    """When in the trading day a company reports, as far as the provider says."""

    BEFORE_OPEN = "before open"
    DURING_MARKET = "during market hours"
    AFTER_CLOSE = "after close"
    UNKNOWN = ""


@dataclass(frozen=True)
class EarningsDate:
    """A company's next earnings report as a provider announced it."""

    symbol: str
    day: date
    time: ReportTime = ReportTime.UNKNOWN
    fiscal_end: date | None = None  # the end of the quarter it reports on
    estimate: float | None = None  # the analysts' earnings per share estimate


def today(now: datetime) -> date:
    """The day reports are counted from."""
    return now.astimezone(UTC).date()


def days_until(day: date, now: datetime) -> int:
    """Whole days from today to a report (0: today; negative: it has passed)."""
    return (day - today(now)).days


def days_ahead(day: date | None, now: datetime) -> int | None:
    """Whole days to a report still to come (0: today); None when there is none or it has
    passed (the next one is not known yet)."""
    if day is None or (away := days_until(day, now)) < 0:
        return None
    return away


def when(report: EarningsDate, now: datetime) -> str:
    """When the report comes: "Thu 30 Jan, after close", "today", "tomorrow, before open"."""
    away = days_until(report.day, now)
    day = "today" if away == 0 else "tomorrow" if away == 1 else f"{report.day:%a %-d %b}"
    if report.day.year != today(now).year and away > 1:
        day += f" {report.day.year}"
    return f"{day}, {report.time}" if report.time else day


def badge(report: EarningsDate, now: datetime) -> str:
    """The report in a few words: "Earnings Thu 30 Jan, after close", "Earnings today"."""
    return f"Earnings {when(report, now)}"


def upcoming(engine: Engine, symbols: Sequence[str], now: datetime) -> dict[str, EarningsDate]:
    """The next report of each of ``symbols`` that has one from today on, by symbol."""
    if not symbols:
        return {}
    with Session(engine) as session:
        rows = session.exec(
            select(EarningsReport).where(
                col(EarningsReport.symbol).in_(list(symbols)),
                col(EarningsReport.report_day) >= today(now),
            )
        ).all()
    return {row.symbol: stored_date(row) for row in rows}


def stored_date(row: EarningsReport) -> EarningsDate:
    """A stored report row as the vocabulary's date (an unknown stored time: no time)."""
    assert row.report_day is not None  # only rows with a day are read as dates
    try:
        time = ReportTime(row.report_time)
    except ValueError:
        time = ReportTime.UNKNOWN
    return EarningsDate(row.symbol, row.report_day, time, row.fiscal_end, row.estimate)
