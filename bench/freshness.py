"""How evenly the scheduler spreads a tight budget: 100 symbols, 5 requests a minute, 500 a day,
one simulated day with a zero-latency provider and the scheduler's own pacing.

Prints the worst staleness of any symbol divided by the best both limits allow,
max(N / per-minute, 1440 min x N / per-day) minutes (target <= 1.05), and the requests sent over
either limit (target 0).

    .venv/bin/python -m bench.freshness
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta

from bench.common import each_database
from stockmon.budget import Limits
from stockmon.ingest import Refresher
from stockmon.providers import QuoteData

SYMBOLS = [f"F{i:03d}" for i in range(100)]
LIMITS = Limits(per_minute=5, per_day=500)
CYCLE = timedelta(minutes=1)  # the scheduler's interval
DAY = timedelta(days=1)


class SimulatedClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class RecordingProvider:
    """Answers at once and remembers when each symbol was asked for."""

    name = "recording"
    rate_limited = True
    batch_size = 1

    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, str]] = []

    def fetch(self, symbols):
        (symbol,) = symbols
        self.sent.append((self.clock(), symbol))
        return {symbol: QuoteData(symbol, 10.0, 10, 10, 10, 10, 0, 0, 1, date(2026, 3, 2))}


def over_limit(times: list[datetime], window: timedelta, limit: int) -> int:
    """Requests that found ``limit`` or more others in the ``window`` before them."""
    return sum(
        1 for i, t in enumerate(times) if i - bisect.bisect_right(times, t - window) + 1 > limit
    )


def worst_staleness(sent: list[tuple[datetime, str]], start: datetime, end: datetime) -> timedelta:
    last_fetch = dict.fromkeys(SYMBOLS, start)
    worst = timedelta(0)
    for when, symbol in sent:
        worst = max(worst, when - last_fetch[symbol])
        last_fetch[symbol] = when
    return max(worst, *(end - t for t in last_fetch.values()))


def main() -> None:
    ideal = LIMITS.refresh_interval(len(SYMBOLS))
    print(
        f"{len(SYMBOLS)} symbols, {LIMITS.per_minute}/minute, {LIMITS.per_day}/day, "
        f"cycle every {CYCLE.seconds}s: "
        f"best possible staleness {ideal.total_seconds() / 60:.0f} min"
    )
    for name, engine in each_database():
        clock = SimulatedClock()
        provider = RecordingProvider(clock)
        refresher = Refresher(engine, provider, LIMITS, SYMBOLS, now=clock)
        start = clock()
        while clock() < start + DAY:
            refresher.run_cycle()
            clock.now += CYCLE
        times = [t for t, _ in provider.sent]
        worst = worst_staleness(provider.sent, start, clock())
        over = over_limit(times, timedelta(minutes=1), LIMITS.per_minute) + over_limit(
            times, DAY, LIMITS.per_day
        )
        print(
            f"{name:>10}: {len(times)} requests, worst staleness "
            f"{worst.total_seconds() / 60:.0f} min = {worst / ideal:.3f}x best "
            f"(target <= 1.05), requests over a limit: {over} (target 0)"
        )


if __name__ == "__main__":
    main()
