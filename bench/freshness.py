"""How fresh the free plan keeps 10 symbols over a simulated trading week, against a fake Alpha
Vantage on 127.0.0.1 that counts what it receives.

(a) every answer good; (b) 20 % of answers HTTP 500 and one symbol always failing. For each it
prints the worst staleness of a (healthy) symbol during trading hours, in trading minutes since
its last good quote, divided by the bound 390 min x N / D (the session length times symbols over
the daily budget: 156 min here), and the requests the server received over either limit.
Targets: (a) <= 1.1x the bound, (b) <= 1.1x the floor below, 0 over a limit.

(c) Finnhub's free plan (60 requests a minute, 30 a second, no daily cap) against a fake
Finnhub over a simulated trading day (the scheduler started half an hour before the open, so
each symbol has its first quote), with 10 and 100 symbols and a 5-second cycle: the worst
staleness during trading hours over the bound N / R (symbols over the per-minute rate: 10 s and
100 s), target <= 1.1x, and the requests the server received over either limit, target 0.

For (b) it also prints the floor no schedule can beat under such losses: a model of a perfect
scheduler (the budget spread exactly evenly over the sessions, the failing symbol costing
nothing, the stalest healthy symbol fetched at every slot and a failed fetch retried at the
next), on the same losses as the measured week (the fake server's draws for each symbol's
nth request) and over 200 seeded weeks.

    .venv/bin/python -m bench.freshness [SEED ...]

Mode (b) runs once per seed (7 when none is given).
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bench.common import each_database
from stockmon.domain.calendar import market
from stockmon.domain.models import ApiRequest, FetchStatus, PriceHistory, Quote, SchedulerState
from stockmon.providers import AlphaVantageProvider, FinnhubProvider
from stockmon.scheduler.budget import Limits, RequestBudget
from stockmon.scheduler.ingest import Refresher
from tests.conftest import Clock
from tests.fake_alphavantage import fails_at_random, serve
from tests.fake_finnhub import serve_finnhub

SYMBOLS = [f"F{i:02d}" for i in range(10)]
FAILING = SYMBOLS[-1]
LIMITS = Limits(per_minute=5, per_day=25)
# From a Friday night, when the first quotes are fetched, through the next trading week.
START = datetime(2026, 2, 27, 22, tzinfo=UTC)
END = datetime(2026, 3, 7, tzinfo=UTC)
CYCLE = timedelta(minutes=1)
SESSION_MINUTES = 390.0  # a New York trading day
BOUND = timedelta(minutes=SESSION_MINUTES * len(SYMBOLS) / LIMITS.per_day)
TARGET_OF_BOUND = 1.1  # (a): the worst staleness, over the bound
TARGET_OF_FLOOR = 1.1  # (b): the worst staleness, over the perfect scheduler's on the same losses
FINNHUB_LIMITS = Limits(per_minute=60, per_day=0, per_second=30)
FINNHUB_CYCLE = timedelta(seconds=5)  # the default cycle on Finnhub
FINNHUB_DAY = (datetime(2026, 3, 3, 14, 30, tzinfo=UTC), datetime(2026, 3, 3, 21, tzinfo=UTC))


def simulate(
    engine, failure_rate: float, failing: str | None, seed: int = 7
) -> tuple[timedelta, int, int, int]:
    """(worst trading-hours staleness of a healthy symbol, requests over a limit, requests,
    requests for the failing symbol)."""
    nyse = market("XNYS")
    clock = Clock(START)
    with serve() as fake:
        fake.now = lambda: clock().timestamp()
        fake.failure_rate = failure_rate
        fake.reseed(seed)
        if failing:
            fake.script[failing] = "http500"
        budget = RequestBudget(engine, AlphaVantageProvider.name, LIMITS, now=clock)
        provider = AlphaVantageProvider(  # as ``make_provider`` builds it under a daily cap
            fake.api_key, fake.url, gate=budget.take, min_request_interval=0, retries=0
        )
        refresher = Refresher(engine, provider, budget, SYMBOLS, now=clock)
        healthy = [s for s in SYMBOLS if s != failing]
        last_good: dict[str, datetime] = {}
        worst = timedelta(0)
        while clock() < END:
            refresher.run_cycle()
            last_good.update(_last_successes(engine))
            if nyse.is_open(clock()):
                for symbol in healthy:
                    if symbol in last_good:
                        worst = max(worst, nyse.trading_time(last_good[symbol], clock()))
            clock.current += CYCLE
        over = fake.over_limits(LIMITS.per_minute, LIMITS.per_day)
        spent_failing = sum(r.symbol == failing for r in fake.received)
        return worst, over, len(fake.received), spent_failing


def simulate_finnhub(engine, symbols: int) -> tuple[timedelta, timedelta, int, int]:
    """(worst trading-hours staleness, the bound N / R, requests over a limit, requests) for
    ``symbols`` symbols over one simulated New York session on Finnhub's free plan. The
    provider's spacing between requests passes on the simulated clock."""
    nyse = market("XNYS")
    names = [f"S{i:03d}" for i in range(symbols)]
    opens, closes = FINNHUB_DAY
    clock = Clock(opens - timedelta(minutes=30))  # a scheduler already running
    with serve_finnhub() as fake:
        fake.now = lambda: clock().timestamp()
        budget = RequestBudget(engine, FinnhubProvider.name, FINNHUB_LIMITS, now=clock)
        provider = FinnhubProvider(
            fake.api_key, fake.url, gate=budget.take, sleep=clock.sleep, monotonic=clock.monotonic
        )
        refresher = Refresher(engine, provider, budget, names, now=clock, cycle=FINNHUB_CYCLE)
        worst = timedelta(0)
        while clock() < closes:
            cycle_start = clock()
            last_good = _last_successes(engine)
            if nyse.is_open(cycle_start) and len(last_good) == len(names):
                worst = max(
                    worst, *(nyse.trading_time(at, cycle_start) for at in last_good.values())
                )
            refresher.run_cycle()
            clock.current = max(clock(), cycle_start + FINNHUB_CYCLE)
        bound = timedelta(minutes=symbols / FINNHUB_LIMITS.per_minute)
        over = fake.over_limits(FINNHUB_LIMITS.per_minute, FINNHUB_LIMITS.per_second)
        return worst, bound, over, len(fake.received)


def ideal_worst(seed: int, failure_rate: float, days: int = 5) -> float:
    """A perfect scheduler's worst staleness of a healthy symbol over ``days`` sessions, with
    the losses the fake server draws for ``seed``, divided by the bound (see the module's
    docstring). Every symbol starts fresh, its first request (the first fetch) spent."""
    healthy = [s for s in SYMBOLS if s != FAILING]
    slot = SESSION_MINUTES / LIMITS.per_day
    last_good = dict.fromkeys(healthy, 0.0)  # trading minutes
    asked = Counter(healthy)
    worst = 0.0
    for index in range(days * LIMITS.per_day):
        at = (index + 0.5) * slot
        stalest = min(last_good, key=last_good.__getitem__)
        worst = max(worst, at - last_good[stalest])
        asked[stalest] += 1
        if not fails_at_random(seed, stalest, asked[stalest], failure_rate):
            last_good[stalest] = at
    worst = max(worst, days * SESSION_MINUTES - min(last_good.values()))
    return worst / (BOUND.total_seconds() / 60)


def _last_successes(engine) -> dict[str, datetime]:
    with engine.connect() as conn:
        rows = conn.execute(select(FetchStatus.symbol, FetchStatus.last_success_at)).all()
    return {symbol: at for symbol, at in rows if at is not None}


def main() -> None:
    seeds = [int(seed) for seed in sys.argv[1:]] or [7]
    print(
        f"{len(SYMBOLS)} symbols, {LIMITS.per_minute}/minute, {LIMITS.per_day}/day, a cycle a "
        f"minute for a week; bound 390 min x N / D = {BOUND.total_seconds() / 60:.0f} min"
    )
    floors = sorted(ideal_worst(seed, 0.2) for seed in range(1, 201))
    print(
        f"floor for (b), a perfect scheduler over 200 weeks of 20% losses: median "
        f"{statistics.median(floors):.2f}x the bound, best {floors[0]:.2f}x, "
        f"{sum(f <= 1.25 for f in floors) / len(floors):.0%} of weeks within 1.25x"
    )
    modes = [("(a) all good", 0.0, None, 7)] + [
        (f"(b) 20% HTTP 500, one symbol failing, seed {seed}", 0.2, FAILING, seed) for seed in seeds
    ]
    for name, engine in each_database():
        for label, rate, failing, seed in modes:
            worst, over, sent, spent_failing = simulate(engine, rate, failing, seed)
            measured = worst / BOUND
            if rate:
                floor = ideal_worst(seed, rate)
                verdict = (
                    f" (floor on the same losses {floor:.2f}x): {measured / floor:.2f}x the floor"
                    f" (target <= {TARGET_OF_FLOOR})"
                )
            else:
                verdict = f" (target <= {TARGET_OF_BOUND})"
            of_them = f" ({spent_failing} for {failing})" if failing else ""
            print(
                f"{name:>10} {label}: {sent} requests received{of_them}, worst staleness "
                f"{worst.total_seconds() / 60:.0f} trading min = {measured:.2f}x the bound"
                f"{verdict}, over a limit: {over} (target 0)"
            )
            _reset(engine)
        for symbols in (10, 100):
            worst, bound, over, sent = simulate_finnhub(engine, symbols)
            print(
                f"{name:>10} (c) Finnhub free plan, {symbols} symbols, a 5 s cycle for a session: "
                f"{sent} requests received, worst staleness {worst.total_seconds():.1f} s = "
                f"{worst / bound:.2f}x the bound N / R = {bound.total_seconds():.0f} s "
                f"(target <= {TARGET_OF_BOUND}), over a limit: {over} (target 0)"
            )
            _reset(engine)


def _reset(engine) -> None:
    with engine.begin() as conn:
        for table in (ApiRequest, FetchStatus, PriceHistory, Quote, SchedulerState):
            conn.execute(delete(table))


if __name__ == "__main__":
    main()
