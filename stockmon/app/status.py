"""What the status page reads: the scheduler's heartbeat, the request budget it spent against
the limits it published, and each tracked symbol's fetch record; and the two things an admin
may ask of the scheduler (a cycle now, another try for a backed-off symbol).

Everything here is what the scheduler wrote down; nothing is recomputed from the app's own
settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import pairwise

import pandas as pd
from sqlalchemy import Engine, case, func, literal, select
from sqlmodel import col
from sqlmodel.sql.sqltypes import UTCDateTime

from stockmon.app.heartbeat import SchedulerStatus, StreamStatus, scheduler_status
from stockmon.app.presentation import clock_time
from stockmon.domain import tracking
from stockmon.domain.calendar import market_of
from stockmon.domain.db import upsert
from stockmon.domain.freshness import clock_of, due_again
from stockmon.domain.models import (
    CYCLE_REQUESTED_AT,
    ApiRequest,
    FetchStatus,
    RetryRequest,
    SchedulerState,
    StreamState,
    Symbol,
    table_of,
)

SPENDING_WINDOW = timedelta(hours=24)
SPENDING_BUCKETS = 48  # half-hour bars over the day
RECORD_COLUMNS = [
    "last_success_at", "last_attempt_at", "last_error", "failures", "retry_after",
    "history_loaded_at", "history_error", "rejection",
]  # fmt: skip


@dataclass(frozen=True)
class Spending:
    last_minute: int
    last_day: int
    per_bucket: pd.DataFrame  # columns: start (UTC), requests


@dataclass(frozen=True)
class StatusReport:
    status: SchedulerStatus
    spending: Spending | None  # None: the provider has no request limits
    symbols: pd.DataFrame  # one row per tracked symbol: its fetch record

    @property
    def with_history(self) -> int:
        """Tracked symbols whose daily history the scheduler has fetched."""
        return int(self.symbols["history_loaded_at"].notna().sum())

    @property
    def waiting(self) -> int:
        """Tracked symbols without a first successful fetch that the provider has not
        rejected."""
        never = self.symbols["last_success_at"].isna()
        return int((never & self.symbols["rejection"].isna()).sum())

    @property
    def rejected(self) -> int:
        """Tracked symbols whose latest answer was the provider's rejection."""
        return int(self.symbols["rejection"].notna().sum())

    def until_all_refreshed(self, now: datetime) -> timedelta | None:
        """How long until every tracked symbol has been refreshed once more at the published
        pace: each comes round again one interval after its last success, on its own clock
        (``freshness``). None before the scheduler has published an interval, while symbols
        wait for a first quote, or past the calendars' horizon."""
        interval = self.status.refresh_interval
        if interval is None or self.symbols.empty or self.waiting:
            return None
        quoted = self.symbols.dropna(subset=["last_success_at"])
        due = [
            due_again(clock_of(code, self.status.market_hours), last.to_pydatetime(), interval)
            for code, last in zip(quoted["market"], quoted["last_success_at"], strict=True)
        ]
        if not due or None in due:
            return None
        return max(max(d for d in due if d is not None) - now, timedelta(0))


def stream_line(stream: StreamStatus, zone: tzinfo) -> str:
    """The trade stream in one line: its state, since when, what it follows and hears."""
    if stream.state == StreamState.CONNECTED and stream.since is not None:
        state = f"connected since {clock_time(stream.since, zone)}"
    else:
        state = stream.state
    trades = stream.trades_last_minute
    return (
        f"**Trade stream** {state} · {stream.symbols} symbol{'s' * (stream.symbols != 1)} "
        f"subscribed · {trades} trade{'s' * (trades != 1)} in the last minute"
    )


def symbol_state(last_success: datetime | None, rejection: str | None, failures: int) -> str:
    """One symbol's state in a few words: quoted, failing, rejected (and why), or waiting."""
    if isinstance(rejection, str):
        return f"rejected: {rejection}"
    if pd.isna(last_success):
        return "waiting for first quote"
    return "failing, last quote kept" if failures else "quoted"


def symbol_table(symbols: pd.DataFrame, now: datetime, zone: tzinfo) -> pd.DataFrame:
    """The fetch records as shown: times in ``zone``, "never" and "—" where there is none,
    a back-off only while it lasts."""

    def shown(moment, empty: str) -> str:
        return empty if pd.isna(moment) else moment.astimezone(zone).strftime("%a %H:%M:%S")

    return pd.DataFrame(
        {
            "Symbol": symbols["symbol"],
            "State": [
                symbol_state(success, rejection, failures)
                for success, rejection, failures in zip(
                    symbols["last_success_at"],
                    symbols["rejection"],
                    symbols["failures"],
                    strict=True,
                )
            ],
            "Company": symbols["name"].fillna("").replace("", "—"),
            "Last success": [shown(t, "never") for t in symbols["last_success_at"]],
            "Last attempt": [shown(t, "never") for t in symbols["last_attempt_at"]],
            "Last error": symbols["last_error"].astype("string").fillna("").replace("", "—"),
            "Failures in a row": symbols["failures"],
            "Daily history": [
                "loaded"
                if not pd.isna(loaded)
                else (error if isinstance(error, str) else "waiting")
                for loaded, error in zip(
                    symbols["history_loaded_at"], symbols["history_error"], strict=True
                )
            ],
            "Backing off until": [
                shown(t if not pd.isna(t) and t > now else None, "—")
                for t in symbols["retry_after"]
            ],
        }
    )


def spending(engine: Engine, provider: str, now: datetime) -> Spending:
    """Requests sent to ``provider`` in the last minute, the last 24 hours, and per half hour
    over the day, in one statement over the budget's index."""
    start = now - SPENDING_WINDOW
    width = SPENDING_WINDOW / SPENDING_BUCKETS
    edges = [start + width * index for index in range(SPENDING_BUCKETS + 1)]
    sent = col(ApiRequest.sent_at)

    def between(low: datetime, high: datetime):
        bounds = (literal(low, UTCDateTime()), literal(high, UTCDateTime()))
        return func.coalesce(func.sum(case(((sent > bounds[0]) & (sent <= bounds[1]), 1))), 0)

    columns = [between(now - timedelta(minutes=1), now), between(start, now)]
    columns += [between(low, high) for low, high in pairwise(edges)]
    with engine.connect() as conn:
        counts = conn.execute(
            select(*columns).where(col(ApiRequest.provider) == provider, sent > start, sent <= now)
        ).one()
    return Spending(
        last_minute=int(counts[0]),
        last_day=int(counts[1]),
        per_bucket=pd.DataFrame(
            {"start": edges[:-1], "requests": [int(count) for count in counts[2:]]}
        ),
    )


def tracked_symbols(engine: Engine, configured: Sequence[str], budgeted: bool) -> pd.DataFrame:
    """What the scheduler tracks (``tracking``'s rule, with the scheduler's configured symbols
    and whether its provider is budgeted), with names and fetch records, by symbol."""
    symbols = sorted(tracking.tracked_symbols(engine, configured, budgeted))
    with engine.connect() as conn:
        listings = conn.execute(
            select(col(Symbol.symbol), col(Symbol.name), col(Symbol.exchange)).where(
                col(Symbol.symbol).in_(symbols)
            )
        ).all()
        names = {row.symbol: row.name for row in listings}
        exchanges = {row.symbol: row.exchange for row in listings}
        records = {
            row["symbol"]: row
            for row in conn.execute(
                select(
                    col(FetchStatus.symbol),
                    col(FetchStatus.last_success_at),
                    col(FetchStatus.last_attempt_at),
                    col(FetchStatus.last_error),
                    col(FetchStatus.consecutive_failures).label("failures"),
                    col(FetchStatus.retry_after),
                    col(FetchStatus.history_loaded_at),
                    col(FetchStatus.history_error),
                    col(FetchStatus.rejection),
                ).where(col(FetchStatus.symbol).in_(symbols))
            ).mappings()
        }
    table = pd.DataFrame(
        [
            {
                **records.get(s, {}),
                "symbol": s,
                "name": names.get(s, ""),
                "market": market_of(s, exchanges.get(s) or ""),
            }
            for s in symbols
        ],
        columns=["symbol", "name", "market", *RECORD_COLUMNS],
    )
    table["failures"] = table["failures"].fillna(0).astype(int)
    for column in ("last_success_at", "last_attempt_at", "retry_after", "history_loaded_at"):
        table[column] = pd.to_datetime(table[column], utc=True)
    rejected = table["rejection"].notna() & (table["failures"] > 0)
    table["rejection"] = table["rejection"].where(rejected, None)
    return table


def status_report(
    engine: Engine, now: datetime, configured: Sequence[str], budgeted: bool
) -> StatusReport:
    """The report of the scheduler that tracks ``configured`` symbols with a ``budgeted``
    provider (what it published, once it has)."""
    status = scheduler_status(engine)
    provider = status.provider
    limited = provider is not None and status.per_minute is not None
    if provider is not None:
        budgeted = limited
    return StatusReport(
        status=status,
        spending=spending(engine, provider, now) if provider and limited else None,
        symbols=tracked_symbols(engine, configured, budgeted),
    )


def request_cycle(engine: Engine, now: datetime) -> None:
    """Ask the leading scheduler for a cycle now (it looks every few seconds); the cycle
    stays within the budget and its pacing."""
    row = {"key": CYCLE_REQUESTED_AT, "value": now.isoformat(), "updated_at": now}
    with engine.begin() as conn:
        upsert(conn, table_of(SchedulerState), [row], keys=["key"])


def retry_symbol(engine: Engine, symbol: str, now: datetime) -> bool:
    """Ask the leading scheduler to end a symbol's back-off at its next cycle, and for that
    cycle now (the scheduler alone writes fetch records). False when the symbol has no fetch
    record."""
    with engine.begin() as conn:
        known = conn.execute(
            select(col(FetchStatus.symbol)).where(col(FetchStatus.symbol) == symbol)
        ).first()
        if known:
            row = {"symbol": symbol, "requested_at": now}
            upsert(conn, table_of(RetryRequest), [row], keys=["symbol"])
    if known:
        request_cycle(engine, now)
    return known is not None
