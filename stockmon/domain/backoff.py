"""How long to wait before trying again: one growing wait for every retry (a failing symbol, a
rejected one, a failed alert delivery, a provider's retried request)."""

from __future__ import annotations

from datetime import timedelta


def growing_wait(
    attempt: int, first: timedelta, longest: timedelta, factor: float = 2.0
) -> timedelta:
    """The wait before try number ``attempt`` + 1 after ``attempt`` failures in a row: ``first``,
    then ``factor`` times longer each time, never longer than ``longest``."""
    exponent = min(max(attempt - 1, 0), 64)  # past this, every wait is ``longest`` anyway
    seconds = first.total_seconds() * factor**exponent
    return timedelta(seconds=min(seconds, longest.total_seconds()))
