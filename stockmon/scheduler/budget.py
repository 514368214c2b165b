"""The request budget of a rate-limited provider, kept in the database so restarts keep it.

Every request is a row in ``api_requests``, written by ``take`` before the request goes on the
wire (retries included), in a transaction fenced by the scheduler's lease. The per-minute and
per-day limits (and a per-second one where the provider has it) are checked over rolling windows
(the last second, 60 seconds, 24 hours), never looser than a calendar day's count. A rate-limit
answer blocks the provider until a time kept in ``scheduler_state``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select
from sqlmodel import col

from stockmon.domain.config import ProviderChoice, Settings
from stockmon.domain.db import upsert
from stockmon.domain.models import ApiRequest, SchedulerState, table_of, utcnow
from stockmon.providers.base import BudgetExhausted
from stockmon.providers.finnhub import PER_SECOND_LIMIT
from stockmon.scheduler.leadership import Fence, fenced

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    per_minute: int
    per_day: int  # 0: no daily cap
    per_second: int = 0  # 0: none beyond the per-minute limit

    @classmethod
    def of(cls, settings: Settings, provider: ProviderChoice) -> Limits:
        """The limits ``provider`` is kept within, as the settings give them."""
        if provider is ProviderChoice.FINNHUB:
            return cls(settings.finnhub_requests_per_minute, 0, PER_SECOND_LIMIT)
        return cls(
            settings.alpha_vantage_requests_per_minute, settings.alpha_vantage_requests_per_day
        )

    @property
    def window(self) -> timedelta:
        """How long a request spent now keeps counting against a limit."""
        return DAY if self.per_day else MINUTE


@dataclass(frozen=True)
class BudgetState:
    """What the budget allows at one moment, read in one go (what a cycle plans with)."""

    left: int  # requests that may be sent now without breaking a limit or a block
    left_this_minute: int  # in the last minute's window, as if no other limit existed
    left_today: int | None  # in the rolling 24 hours' window (None: no daily cap)
    spent_today: int  # since midnight UTC: what the pacing line has used of the day
    blocked_until: datetime | None  # the end of a rate-limit block, None when not blocked


def start_of_day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class RequestBudget:
    def __init__(
        self,
        engine: Engine,
        provider: str,
        limits: Limits,
        *,
        now: Callable[[], datetime] = utcnow,
        fence: Fence | None = None,
    ) -> None:
        self._engine = engine
        self._provider = provider
        self.limits = limits
        self._now = now
        self._fence = fence
        self._block_key = f"{provider}.blocked_until"

    def take(self) -> None:
        """Record one request about to be sent, or raise ``BudgetExhausted`` when none is left.

        The request gate of the provider: called at the transport for every request.
        """
        now = self._now()
        with self._engine.begin() as conn:
            token = self._fence(conn) if self._fence else None
            if self._remaining(conn, now) <= 0:
                raise BudgetExhausted(f"no {self._provider} requests left within the limits")
            conn.execute(
                table_of(ApiRequest).insert(),
                {"provider": self._provider, "sent_at": now, "leader_token": token},
            )

    def state(self, now: datetime | None = None) -> BudgetState:
        """Every window's count and the block, in two queries on one connection."""
        now = now or self._now()
        with self._engine.connect() as conn:
            blocked = self._blocked_until(conn, now)
            second, minute, day, today = self._counts(
                conn, now - SECOND, now - MINUTE, now - DAY, start_of_day(now)
            )
        left_this_minute = max(self.limits.per_minute - minute, 0)
        left_today = max(self.limits.per_day - day, 0) if self.limits.per_day else None
        left = self._left(second, minute, day)
        if blocked is not None:
            left = left_this_minute = 0
            left_today = 0 if self.limits.per_day else None
        return BudgetState(left, left_this_minute, left_today, today, blocked)

    def remaining(self, now: datetime | None = None) -> int:
        """Requests that may be sent now without breaking a limit or a block."""
        with self._engine.connect() as conn:
            return self._remaining(conn, now or self._now())

    def spent_since(self, since: datetime) -> int:
        with self._engine.connect() as conn:
            return self._counts(conn, since)[0]

    def prune(self) -> None:
        """Forget requests older than the longest window."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(ApiRequest).where(
                    col(ApiRequest.provider) == self._provider,
                    col(ApiRequest.sent_at) <= self._now() - DAY,
                )
            )

    def block(self, until: datetime) -> None:
        row = {"key": self._block_key, "value": until.isoformat(), "updated_at": self._now()}
        with fenced(self._engine, self._fence) as conn:
            upsert(conn, table_of(SchedulerState), [row], keys=["key"])

    def blocked_until(self, now: datetime | None = None) -> datetime | None:
        """The end of the current block, or None when the provider is not blocked."""
        with self._engine.connect() as conn:
            return self._blocked_until(conn, now or self._now())

    def _blocked_until(self, conn: Connection, now: datetime) -> datetime | None:
        value = conn.execute(
            select(col(SchedulerState.value)).where(col(SchedulerState.key) == self._block_key)
        ).scalar_one_or_none()
        if value is None:
            return None
        until = datetime.fromisoformat(value)
        return until if until > now else None

    def _remaining(self, conn: Connection, now: datetime) -> int:
        if self._blocked_until(conn, now) is not None:
            return 0
        return self._left(*self._counts(conn, now - SECOND, now - MINUTE, now - DAY))

    def _left(self, second: int, minute: int, day: int) -> int:
        left = self.limits.per_minute - minute
        if self.limits.per_second:
            left = min(left, self.limits.per_second - second)
        if self.limits.per_day:
            left = min(left, self.limits.per_day - day)
        return max(left, 0)

    def _counts(self, conn: Connection, *since: datetime) -> tuple[int, ...]:
        """The requests sent after each of ``since``, counted in one query."""
        sent_at = col(ApiRequest.sent_at)
        counts = [func.count().filter(sent_at > moment) for moment in since]
        row = conn.execute(
            select(*counts).where(col(ApiRequest.provider) == self._provider, sent_at > min(since))
        ).one()
        return tuple(row)
