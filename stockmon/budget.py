"""The request budget of a rate-limited provider, kept in the database so restarts keep it.

Every request is a row in ``api_requests``; the per-minute and per-day limits are checked over
rolling windows (the last 60 seconds, the last 24 hours), which is never looser than a calendar
day's count. A rate-limit answer blocks the provider until a time stored in ``scheduler_state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select

from stockmon.config import Settings
from stockmon.db import upsert
from stockmon.models import ApiRequest, SchedulerState

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    per_minute: int
    per_day: int  # 0: no daily cap

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            per_minute=settings.alpha_vantage_requests_per_minute,
            per_day=settings.alpha_vantage_requests_per_day,
        )

    def refresh_interval(self, requests: int) -> timedelta:
        """The shortest interval at which a round of ``requests`` requests (one refresh of every
        symbol) can repeat forever within both limits."""
        minutes = requests / self.per_minute
        if self.per_day:
            minutes = max(minutes, 1440 * requests / self.per_day)
        return timedelta(minutes=minutes)


class RequestBudget:
    def __init__(self, engine: Engine, provider: str, limits: Limits) -> None:
        self._engine = engine
        self._provider = provider
        self.limits = limits
        self._block_key = f"{provider}.blocked_until"

    def remaining(self, now: datetime) -> int:
        """Requests that may be sent at ``now`` without breaking a limit or a block."""
        if self.blocked_until(now) is not None:
            return 0
        with self._engine.connect() as conn:
            last_minute = self._count_since(conn, now - MINUTE)
            left = self.limits.per_minute - last_minute
            if self.limits.per_day:
                left = min(left, self.limits.per_day - self._count_since(conn, now - DAY))
        return max(left, 0)

    def spend(self, now: datetime, requests: int = 1) -> None:
        """Record requests about to be sent (before sending, so a crash cannot lose them)."""
        rows = [{"provider": self._provider, "sent_at": now}] * requests
        with self._engine.begin() as conn:
            conn.execute(ApiRequest.__table__.insert(), rows)

    def prune(self, now: datetime) -> None:
        """Forget requests older than the longest window."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(ApiRequest).where(
                    ApiRequest.provider == self._provider, ApiRequest.sent_at <= now - DAY
                )
            )

    def block(self, until: datetime, now: datetime) -> None:
        row = {"key": self._block_key, "value": until.isoformat(), "updated_at": now}
        with self._engine.begin() as conn:
            upsert(conn, SchedulerState.__table__, [row], keys=["key"])

    def blocked_until(self, now: datetime) -> datetime | None:
        """The end of the current block, or None when the provider is not blocked at ``now``."""
        with self._engine.connect() as conn:
            value = conn.execute(
                select(SchedulerState.value).where(SchedulerState.key == self._block_key)
            ).scalar_one_or_none()
        if value is None:
            return None
        until = datetime.fromisoformat(value)
        return until if until > now else None

    def _count_since(self, conn, since: datetime) -> int:
        return conn.execute(
            select(func.count())
            .select_from(ApiRequest)
            .where(ApiRequest.provider == self._provider, ApiRequest.sent_at > since)
        ).scalar_one()
