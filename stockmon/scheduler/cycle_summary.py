"""What one refresh cycle did, in numbers and in the one line the scheduler logs and the
Status page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stockmon.domain.tracking import NOTHING_TRACKED


@dataclass
class CycleSummary:
    tracked: int = 0
    fetched: int = 0
    failed: int = 0
    skipped_for_budget: int = 0
    not_due: int = 0
    backing_off: int = 0
    left_this_minute: int | None = None  # requests left in the last minute's window
    left_today: int | None = None  # in the rolling 24 hours'; None: no daily cap (or budget)
    blocked_until: datetime | None = None
    interval: timedelta | None = None  # trading time between two refreshes of a symbol
    slot: timedelta | None = None  # trading time between two paced requests
    next_symbol: str | None = None  # the one the next paced request goes to
    next_at: datetime | None = None  # when the pacing line allows that request
    alerts_fired: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def budget_left(self) -> int | None:
        """Requests that may be sent now (None: the provider has no budget)."""
        windows = [n for n in (self.left_this_minute, self.left_today) if n is not None]
        return min(windows) if windows else None

    def log_line(self) -> str:
        if not self.tracked:
            return f"cycle: {NOTHING_TRACKED}"
        line = (
            f"cycle: {self.fetched} fetched, {self.failed} failed, "
            f"{self.skipped_for_budget} skipped for budget, {self.not_due} not due, "
            f"{self.backing_off} backing off, of {self.tracked} tracked; "
        )
        if self.left_this_minute is None:
            line += "no request limits"
        else:
            line += f"requests left: {self.left_this_minute} in this minute"
            if self.left_today is not None:
                line += f", {self.left_today} in the last 24 h"
        if self.interval is not None:
            seconds = self.interval.total_seconds()
            every = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
            line += f"; each symbol every {every} of trading time"
        if self.blocked_until is not None:
            line += f"; provider blocked until {self.blocked_until:%Y-%m-%d %H:%M:%S} UTC"
        if self.alerts_fired:
            line += f"; {self.alerts_fired} alert{'s' * (self.alerts_fired != 1)} fired"
        return line
