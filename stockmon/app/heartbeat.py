"""What the scheduler wrote down about itself, as the app reads it: its heartbeat (last cycle,
provider, interval, limits, leader), where daily bars come from, and its trade stream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlmodel import col

from stockmon.domain.config import ProviderChoice
from stockmon.domain.data_class import DataClass, data_class_of
from stockmon.domain.db_trouble import Trouble
from stockmon.domain.models import (
    DAILY_HISTORY,
    DATA_CLASS,
    LAST_CYCLE_AT,
    LAST_CYCLE_SUMMARY,
    LEADER,
    LIMIT_PER_DAY,
    LIMIT_PER_MINUTE,
    MARKET_HOURS,
    NEXT_AT,
    NEXT_SYMBOL,
    PROVIDER_NAME,
    PROVIDER_PLAN,
    REFRESH_INTERVAL_SECONDS,
    STREAM_ERROR,
    STREAM_SINCE,
    STREAM_STATE,
    STREAM_SYMBOLS,
    STREAM_TRADES_MINUTE,
    TRACKED,
    TROUBLE,
    TROUBLE_AT,
    VERSION,
    SchedulerState,
)

FINNHUB = ProviderChoice.FINNHUB.value  # the one provider with a stream


@dataclass(frozen=True)
class StreamStatus:
    """The leader's trade stream, as it last wrote it down."""

    state: str  # off, connecting, connected, reconnecting
    since: datetime | None  # connected since
    symbols: int  # symbols it follows
    trades_last_minute: int
    error: str | None  # the last error, in words


@dataclass(frozen=True)
class SchedulerStatus:
    last_cycle_at: datetime | None
    last_cycle_summary: str | None
    provider: str | None
    refresh_interval: timedelta | None  # how often each symbol is refreshed, as published
    market_hours: bool  # the interval counts trading time only: markets closed, quotes rest
    leader: str | None
    version: str | None = None
    per_minute: int | None = None  # the provider's request limits; None: none
    per_day: int | None = None
    plan: str | None = None  # "free plan", "premium plan", "offline demo market"
    data_class: DataClass | None = None  # what the plan's quotes are
    next_symbol: str | None = None  # the symbol the next paced request goes to
    next_at: datetime | None = None  # about when
    tracked: int | None = None  # symbols the last cycle tracked
    trouble: Trouble | None = None  # what failed the scheduler's last database write
    trouble_at: datetime | None = None
    daily_history: str | None = None  # the provider of daily bars; "": none; None: not said
    stream: StreamStatus | None = None  # None: this provider has no stream

    @property
    def without_daily_history(self) -> bool:
        """The provider has no daily bars on this plan: they grow from the quotes alone."""
        return self.daily_history == ""


_STATUS_KEYS = [
    LAST_CYCLE_AT, LAST_CYCLE_SUMMARY, PROVIDER_NAME, REFRESH_INTERVAL_SECONDS, MARKET_HOURS,
    LEADER, VERSION, LIMIT_PER_MINUTE, LIMIT_PER_DAY, PROVIDER_PLAN, DATA_CLASS, NEXT_SYMBOL,
    NEXT_AT, TRACKED, TROUBLE, TROUBLE_AT, DAILY_HISTORY, STREAM_STATE, STREAM_SINCE,
    STREAM_SYMBOLS, STREAM_TRADES_MINUTE, STREAM_ERROR,
]  # fmt: skip


def _count(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _moment(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _trouble(value: str | None) -> Trouble | None:
    try:
        return Trouble(value) if value else None
    except ValueError:
        return None


def scheduler_status(engine: Engine) -> SchedulerStatus:
    """What the scheduler last wrote down about itself."""
    with engine.connect() as conn:
        values = dict(
            conn.execute(
                select(col(SchedulerState.key), col(SchedulerState.value)).where(
                    col(SchedulerState.key).in_(_STATUS_KEYS)
                )
            ).all()
        )
    interval = values.get(REFRESH_INTERVAL_SECONDS)
    provider = values.get(PROVIDER_NAME)
    return SchedulerStatus(
        last_cycle_at=_moment(values.get(LAST_CYCLE_AT)),
        last_cycle_summary=values.get(LAST_CYCLE_SUMMARY),
        provider=provider,
        refresh_interval=timedelta(seconds=float(interval)) if interval else None,
        market_hours=values.get(MARKET_HOURS) == "true",
        leader=values.get(LEADER),
        version=values.get(VERSION),
        per_minute=_count(values.get(LIMIT_PER_MINUTE)),
        per_day=_count(values.get(LIMIT_PER_DAY)),
        plan=values.get(PROVIDER_PLAN) or None,
        data_class=data_class_of(values.get(DATA_CLASS)),
        next_symbol=values.get(NEXT_SYMBOL) or None,
        next_at=_moment(values.get(NEXT_AT)),
        tracked=_count(values.get(TRACKED)),
        trouble=_trouble(values.get(TROUBLE)),
        trouble_at=_moment(values.get(TROUBLE_AT)),
        daily_history=values.get(DAILY_HISTORY),
        stream=_stream(values) if provider == FINNHUB and STREAM_STATE in values else None,
    )


def _stream(values: dict[str, str]) -> StreamStatus:
    return StreamStatus(
        state=values[STREAM_STATE],
        since=_moment(values.get(STREAM_SINCE)),
        symbols=_count(values.get(STREAM_SYMBOLS)) or 0,
        trades_last_minute=_count(values.get(STREAM_TRADES_MINUTE)) or 0,
        error=values.get(STREAM_ERROR) or None,
    )
