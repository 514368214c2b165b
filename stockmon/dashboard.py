"""The dashboard's data: latest quotes and sparklines for a set of picks, and its table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from pandas.io.formats.style import Styler
from sqlalchemy import Engine

from stockmon.calendar import DEFAULT_MARKET, market
from stockmon.presentation import age_text, change_color
from stockmon.queries import SchedulerStatus, latest_quotes, sparklines

SPARKLINE_WINDOW = timedelta(hours=8)
SPARKLINE_POINTS = 48


def quotes_are_stale(
    newest: datetime | None, now: datetime, status: SchedulerStatus, cycle: timedelta
) -> bool:
    """The newest quote is older than three of the refresh intervals the scheduler publishes
    (its ``cycle`` before it has published one). When it paces by market hours, age counts
    New York trading time: a Friday close is not stale on Sunday."""
    if newest is None or pd.isna(newest):
        return True
    interval = status.refresh_interval or cycle
    if status.market_hours:
        return market(DEFAULT_MARKET).trading_time(newest, now) > 3 * interval
    return now - newest > 3 * interval


@dataclass(frozen=True)
class DashboardData:
    quotes: pd.DataFrame
    sparklines: dict[str, list[float]]

    def table(self, now: datetime) -> pd.DataFrame:
        """The quote table as shown: one row per pick, in pick order."""
        q = self.quotes
        return pd.DataFrame(
            {
                "Symbol": q["symbol"],
                "Company": q["name"],
                "Price": q["price"],
                "Change": q["change"],
                "Change %": q["change_percent"],
                "Open": q["open"],
                "Prev close": q["previous_close"],
                "High": q["high"],
                "Low": q["low"],
                "Volume": q["volume"],
                "Updated": [
                    age_text(t, now) if pd.notna(t) else "waiting for first quote"
                    for t in q["fetched_at"]
                ],
                "Trend": [self.sparklines.get(s, []) for s in q["symbol"]],
            }
        )

    def styled_table(self, now: datetime) -> Styler:
        """Gains green, losses red; prices with 2 decimals, volume with separators."""
        table = self.table(now)
        prices = ["Price", "Change", "Open", "Prev close", "High", "Low"]
        return (
            table.style.format("{:,.2f}", subset=prices, na_rep="—")
            .format("{:+.2f}%", subset=["Change %"], na_rep="—")
            .format("{:,.0f}", subset=["Volume"], na_rep="—")
            .map(
                lambda value: f"color: {change_color(value)}; font-weight: 600",
                subset=["Change", "Change %"],
            )
        )


def load_dashboard(engine: Engine, picks: Sequence[str], now: datetime) -> DashboardData:
    return DashboardData(
        quotes=latest_quotes(engine, picks),
        sparklines=sparklines(engine, picks, now - SPARKLINE_WINDOW, now, points=SPARKLINE_POINTS),
    )
