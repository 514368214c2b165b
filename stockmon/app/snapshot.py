"""What every open dashboard shows, read once per refresh period for all of them.

A ``MarketSnapshot`` holds the latest quote, sparkline and fetch problem of every symbol
anyone tracks, the scheduler's heartbeat, and per person only counters (unread and not yet
toasted alerts). The app keeps one per process and refresh period and slices it per person,
so the database work of a refresh does not grow with the number of people watching; nothing
private is in it beyond counts keyed by user id, and each person is only shown their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, case, func, select
from sqlmodel import col

from stockmon.app.dashboard import SPARKLINE_POINTS, SPARKLINE_WINDOW, DashboardData
from stockmon.app.heartbeat import SchedulerStatus, scheduler_status
from stockmon.app.queries import (
    QUOTE_COLUMNS,
    fetch_problems,
    latest_quotes,
    rejections,
    sparklines,
)
from stockmon.domain.daily import YearRange, year_ranges
from stockmon.domain.earnings import EarningsDate, upcoming
from stockmon.domain.models import AlertEvent, Quote


@dataclass(frozen=True)
class AlertCounts:
    unseen: int = 0
    unannounced: int = 0


@dataclass(frozen=True)
class MarketSnapshot:
    taken_at: datetime
    quotes: pd.DataFrame  # every stored quote, indexed by symbol
    sparklines: dict[str, list[float]]
    problems: dict[str, str]
    status: SchedulerStatus
    rejections: dict[str, str] = field(default_factory=dict)
    alerts: dict[int, AlertCounts] = field(default_factory=dict)
    year_ranges: dict[str, YearRange] = field(default_factory=dict)
    earnings: dict[str, EarningsDate] = field(default_factory=dict)  # upcoming reports

    def for_picks(self, picks: Sequence[str], names: dict[str, str]) -> DashboardData:
        """One person's dashboard, in pick order; ``names`` for picks with no quote yet."""
        quotes = self.quotes.reindex(list(picks)).rename_axis("symbol").reset_index()
        quotes["name"] = [
            name if isinstance(name, str) and name else names.get(symbol, "")
            for symbol, name in zip(quotes["symbol"], quotes["name"], strict=True)
        ]
        return DashboardData(
            quotes=quotes[QUOTE_COLUMNS],
            sparklines={s: self.sparklines.get(s, []) for s in picks},
            problems={s: self.problems[s] for s in picks if s in self.problems},
            rejections={s: self.rejections[s] for s in picks if s in self.rejections},
            year_ranges={s: self.year_ranges[s] for s in picks if s in self.year_ranges},
            earnings={s: self.earnings[s] for s in picks if s in self.earnings},
            as_of=self.taken_at,
        )

    def alert_counts(self, user_id: int) -> AlertCounts:
        return self.alerts.get(user_id, AlertCounts())


def take_snapshot(engine: Engine, now: datetime) -> MarketSnapshot:
    """Everything shared, in a handful of queries whatever the number of people."""
    with engine.connect() as conn:
        symbols = list(
            conn.execute(select(col(Quote.symbol)).order_by(col(Quote.symbol))).scalars()
        )
        counts = conn.execute(
            select(
                col(AlertEvent.user_id),
                func.sum(case((col(AlertEvent.seen).is_(False), 1), else_=0)),
                func.sum(case((col(AlertEvent.announced).is_(False), 1), else_=0)),
            )
            .where(col(AlertEvent.seen).is_(False) | col(AlertEvent.announced).is_(False))
            .group_by(col(AlertEvent.user_id))
        ).all()
    return MarketSnapshot(
        taken_at=now,
        quotes=latest_quotes(engine, symbols).set_index("symbol"),
        sparklines=sparklines(engine, symbols, now - SPARKLINE_WINDOW, now, SPARKLINE_POINTS),
        problems=fetch_problems(engine),
        rejections=rejections(engine),
        status=scheduler_status(engine),
        alerts={user: AlertCounts(int(unseen), int(new)) for user, unseen, new in counts},
        year_ranges=year_ranges(engine, now.date()),
        earnings=upcoming(engine, symbols, now),
    )
