"""The dashboard's data: latest quotes and sparklines for a set of picks, its table, and the
one rule for calling the scheduler late and quotes stale."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

import pandas as pd
from pandas.io.formats.style import Styler

from stockmon.app.heartbeat import SchedulerStatus
from stockmon.app.presentation import (
    change_color,
    clock_time,
    day_time,
    duration_text,
    market_time_text,
    provider_label,
    with_dashes,
)
from stockmon.domain.calendar import DEFAULT_MARKET, market
from stockmon.domain.daily import YearRange
from stockmon.domain.data_class import PRICES_PHRASE
from stockmon.domain.db_trouble import SENTENCES, Trouble
from stockmon.domain.earnings import SOON, EarningsDate, days_until, when
from stockmon.domain.export import csv_text
from stockmon.domain.freshness import MISSED_INTERVALS, clock_of, is_stale
from stockmon.domain.models import utcnow
from stockmon.domain.money import CHANGE_PERCENT, MONEY

SPARKLINE_WINDOW = timedelta(hours=8)
SPARKLINE_POINTS = 48
CHANGED_ROW = "background-color: rgba(250, 204, 21, 0.22)"
PRICE_COLUMNS = ["Price", "Change", "Open", "Prev close", "High", "Low"]
TABLE_COLUMNS = [
    "Symbol", "Price", "Change %", "Currency", "Change", "Day range", "52-week range", "Trend",
    "Company", "Open", "Prev close", "High", "Low", "Volume", "Earnings", "Data", "Price time",
    "Updated",
]  # fmt: skip
ALWAYS_SHOWN = TABLE_COLUMNS[:3]  # what a phone shows without scrolling
CHOOSABLE = TABLE_COLUMNS[3:]
# What fits 1440 px beside the menu without scrolling sideways.
DEFAULT_COLUMNS = ["Currency", "Change", "Day range", "Trend", "Company", "Data", "Updated"]
TABLE_FORMATS = dict.fromkeys(PRICE_COLUMNS, MONEY) | {
    "Change %": CHANGE_PERCENT,
    "Volume": "{:,.0f}",
}


def shown_columns(chosen: Sequence[str] | None) -> list[str]:
    """The table's columns in their order: symbol, price and change % always, then the person's
    choice (None: the default)."""
    picked = set(DEFAULT_COLUMNS if chosen is None else chosen)
    return ALWAYS_SHOWN + [column for column in CHOOSABLE if column in picked]


def scheduler_is_late(status: SchedulerStatus, now: datetime, cycle: timedelta) -> bool:
    """No cycle for ``MISSED_INTERVALS`` of the scheduler's cycles: it is down or stuck."""
    last = status.last_cycle_at
    return last is None or now - last > MISSED_INTERVALS * cycle


def why_late(status: SchedulerStatus, seen: Trouble | None) -> str:
    """Why the scheduler has not run lately, as far as the app can tell: what a look at the
    database ``seen`` shows, else the trouble the scheduler wrote down since its last cycle,
    else the question whether it runs at all."""
    written = status.trouble_at
    since_last_cycle = written is not None and (
        status.last_cycle_at is None or written > status.last_cycle_at
    )
    trouble = seen or (status.trouble if since_last_cycle else None)
    if trouble is None:
        return "Is it running?"
    words = SENTENCES[trouble]
    return f"{words[0].upper()}{words[1:]}."


def quotes_are_stale(
    quotes: pd.DataFrame, now: datetime, status: SchedulerStatus, cycle: timedelta
) -> bool:
    """Every quote of the list is stale (``freshness``'s rule, each on its own exchange) at the
    refresh interval the scheduler publishes (its ``cycle`` before it has published one)."""
    interval = status.refresh_interval or cycle
    quoted = quotes.dropna(subset=["fetched_at"])
    return all(
        is_stale(clock_of(code, status.market_hours), fetched_at, now, interval)
        for code, fetched_at in zip(quoted["market"], quoted["fetched_at"], strict=True)
    )


def pace_line(status: SchedulerStatus, now: datetime, zone: tzinfo) -> str | None:
    """What the data allows, from what the scheduler published: "Alpha Vantage free plan:
    end-of-day prices; each symbol refreshed about every 2 h 36 min of trading time · next:
    AAPL in 40 min". None before the scheduler has published a cycle."""
    if status.provider is None or status.last_cycle_at is None:
        return None
    line = provider_label(status.provider)
    if status.plan and status.provider != "demo":
        line += f" {status.plan}"
    if status.data_class is not None:
        line += f": {PRICES_PHRASE[status.data_class]}"
    if status.tracked == 0:
        return f"{line}; nothing tracked yet: pick a stock and the scheduler fetches it"
    if status.refresh_interval:
        trading = " of trading time" if status.market_hours else ""
        about = "about " if status.market_hours else ""
        line += f"; each symbol refreshed {about}every {duration_text(status.refresh_interval)}"
        line += trading
    if status.next_symbol and status.next_at:
        wait = status.next_at - now
        when = f"in {duration_text(wait)}" if wait.total_seconds() >= 1 else "now"
        if wait > timedelta(hours=12):
            when = day_time(status.next_at, zone)
        line += f" · next: {status.next_symbol} {when}"
    return line


def market_line(now: datetime, zone: tzinfo) -> str:
    """'US market open · closes 16:00 EST', or when closed the last close and next open."""
    status = market(DEFAULT_MARKET).status(now)
    if status.state == "open":
        closes = f" · closes {day_time(status.next_change, zone)}" if status.next_change else ""
        return f"US market open{closes}"
    parts = [f"US market {status.state}"]
    if status.last_close:
        parts.append(f"last close {day_time(status.last_close, zone)}")
    if status.next_change:
        parts.append(f"opens {day_time(status.next_change, zone)}")
    return " · ".join(parts)


@dataclass(frozen=True)
class DashboardData:
    quotes: pd.DataFrame
    sparklines: dict[str, list[float]]
    problems: dict[str, str] = field(default_factory=dict)  # symbol: why its last fetch failed
    year_ranges: dict[str, YearRange] = field(default_factory=dict)  # from daily bars
    rejections: dict[str, str] = field(default_factory=dict)  # symbol: why the provider refuses
    earnings: dict[str, EarningsDate] = field(default_factory=dict)  # upcoming reports
    as_of: datetime = field(default_factory=utcnow)  # when what it holds was read

    def earnings_soon(self) -> list[EarningsDate]:
        """The picks' reports within ``earnings.SOON``, earliest first."""
        soon = [r for r in self.earnings.values() if days_until(r.day, self.as_of) <= SOON.days]
        return sorted(soon, key=lambda report: (report.day, report.symbol))

    def price_note(self, symbol: str) -> str:
        """What the Price cell of a symbol without a quote says instead."""
        if rejection := self.rejections.get(symbol):
            return f"no quote: {rejection}"
        if symbol in self.problems:
            return "no quote yet: last try failed"
        return "waiting for first quote"

    def table(self, zone: tzinfo) -> pd.DataFrame:
        """The quote table as shown: one row per pick, in pick order; what a phone shows
        without scrolling (symbol, price, change %) first."""
        q = self.quotes
        span = q["high"] - q["low"]
        return pd.DataFrame(
            {
                "Symbol": q["symbol"],
                "Price": q["price"],
                "Change %": q["change_percent"],
                "Currency": q["currency"],
                "Change": q["change"],
                "Day range": ((q["price"] - q["low"]) / span.where(span > 0) * 100).clip(0, 100),
                "52-week range": [
                    self._in_year(s, p) for s, p in zip(q["symbol"], q["price"], strict=True)
                ],
                "Trend": [self.sparklines.get(s) or None for s in q["symbol"]],
                "Company": q["name"].replace("", None),
                "Open": q["open"],
                "Prev close": q["previous_close"],
                "High": q["high"],
                "Low": q["low"],
                "Volume": q["volume"],
                "Earnings": [
                    when(self.earnings[s], self.as_of) if s in self.earnings else None
                    for s in q["symbol"]
                ],
                "Data": q["data_class"],
                "Price time": [
                    market_time_text(t, d, zone)
                    for t, d in zip(q["market_time"], q["latest_trading_day"], strict=True)
                ],
                "Updated": [
                    self._updated(s, t, zone)
                    for s, t in zip(q["symbol"], q["fetched_at"], strict=True)
                ],
            }
        )

    def _in_year(self, symbol: str, price: float | None) -> float | None:
        """Where the price stands in the symbol's 52-week range (0 the low, 100 the high)."""
        year = self.year_ranges.get(symbol)
        if year is None or price is None or pd.isna(price):
            return None
        return year.position(price)

    def _updated(self, symbol: str, fetched_at: datetime | None, zone: tzinfo) -> str:
        if problem := self.problems.get(symbol):
            return problem
        if fetched_at is None or pd.isna(fetched_at):
            return "waiting for first quote"
        return clock_time(fetched_at, zone)

    def styled_table(self, zone: tzinfo, changed: Collection[str] = ()) -> Styler:
        """Gains green, losses red, "—" in every empty cell, and in the Price cell of a symbol
        without a quote the reason; rows whose price changed since the last refresh
        (``changed`` symbols) highlighted. Styled a column at a time: it is redrawn at every
        refresh of every open dashboard."""
        table = self.table(zone)
        styler = with_dashes(table, TABLE_FORMATS)
        for row in table.index[table["Price"].isna()]:
            note = self.price_note(table.at[row, "Symbol"])
            styler = styler.format(lambda _value, note=note: note, subset=([row], ["Price"]))
        return styler.apply(
            _cell_styles, axis=None, highlighted=table["Symbol"].isin(list(changed))
        )

    def table_csv(self, zone: tzinfo) -> str:
        """The table as a CSV file: every column but the sparkline, numbers unrounded, empty
        cells empty."""
        return csv_text(self.table(zone).drop(columns=["Trend"]))

    def prices(self) -> dict[str, float]:
        """Each quoted symbol's price, to compare with at the next refresh."""
        quoted = self.quotes.dropna(subset=["price"])
        return dict(zip(quoted["symbol"], quoted["price"], strict=True))


def _cell_styles(table: pd.DataFrame, highlighted: pd.Series) -> pd.DataFrame:
    """Each cell's CSS: a highlighted row's background, the change columns' gain or loss
    colour."""
    styles = pd.DataFrame("", index=table.index, columns=table.columns, dtype=object)
    styles.loc[highlighted] = f"{CHANGED_ROW}; "
    for column in ("Change", "Change %"):
        styles[column] += [f"color: {change_color(v)}; font-weight: 600" for v in table[column]]
    return styles
