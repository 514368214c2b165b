"""One refresh cycle of 500 symbols with a zero-latency provider: stockmon's write path against a
raw driver ``executemany`` of the same rows, in the same database. Target: ratio <= 1.3.

    .venv/bin/python -m bench.ingest
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from bench.common import each_database
from stockmon.domain.data_class import DataClass
from stockmon.providers import QuoteData
from stockmon.scheduler.ingest import Refresher
from stockmon.scheduler.writer import ResultWriter

SYMBOLS = [f"B{i:03d}" for i in range(500)]
ROUNDS = 15


class InstantProvider:
    name = "instant"
    rate_limited = False
    batch_size = 500
    plan = "scripted market"
    data_class = DataClass.SIMULATED

    def __init__(self) -> None:
        self.price = 100.0

    def fetch(self, symbols):
        self.price += 0.01
        return {s: _quote(s, self.price) for s in symbols}


def _quote(symbol: str, price: float) -> QuoteData:
    return QuoteData(
        symbol, price, 99.0, 101.0, 98.0, 99.5, price - 99.5, 0.5, 1_000_000, date(2026, 3, 2),
        DataClass.SIMULATED, None,
    )  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def time_cycle(engine: Engine, clock: Clock) -> float:
    """A whole cycle: pick symbols, read their status, fetch, write."""
    refresher = Refresher(engine, InstantProvider(), None, SYMBOLS, now=clock)
    start = time.perf_counter()
    summary = refresher.run_cycle()
    elapsed = time.perf_counter() - start
    assert summary.fetched == len(SYMBOLS)
    return elapsed


def time_write_path(engine: Engine, clock: Clock) -> float:
    """What the cycle does to store 500 fetched quotes."""
    results = InstantProvider().fetch(SYMBOLS)
    start = time.perf_counter()
    writer = ResultWriter(engine, {}, interval=None, slot=None, fence=None)
    for symbol, quote in results.items():
        writer.add(symbol, quote, clock())
    writer.flush()
    return time.perf_counter() - start


def time_raw(engine: Engine, clock: Clock) -> float:
    """The same three writes (quotes upsert, history insert, status upsert) as plain SQL."""
    ts = clock()
    quotes = [
        (s, 100.0, 99.0, 101.0, 98.0, 99.5, 0.5, 0.5, 1_000_000, date(2026, 3, 2), ts)
        for s in SYMBOLS
    ]
    history = [(s, ts, 100.0, 1_000_000) for s in SYMBOLS]
    statuses = [(s, ts, ts) for s in SYMBOLS]
    placeholder = "?" if engine.dialect.name == "sqlite" else "%s"

    def marks(n: int) -> str:
        return ", ".join([placeholder] * n)

    start = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.executemany(
            "INSERT INTO quotes (symbol, price, open, high, low, previous_close, change, "
            "change_percent, volume, latest_trading_day, fetched_at) "
            f"VALUES ({marks(11)}) ON CONFLICT (symbol) DO UPDATE SET price = excluded.price, "
            "open = excluded.open, high = excluded.high, low = excluded.low, "
            "previous_close = excluded.previous_close, change = excluded.change, "
            "change_percent = excluded.change_percent, volume = excluded.volume, "
            "latest_trading_day = excluded.latest_trading_day, fetched_at = excluded.fetched_at",
            quotes,
        )
        cursor.executemany(
            f"INSERT INTO price_history (symbol, ts, price, volume) VALUES ({marks(4)}) "
            "ON CONFLICT DO NOTHING",
            history,
        )
        cursor.executemany(
            "INSERT INTO fetch_status (symbol, last_attempt_at, last_success_at, "
            f"consecutive_failures) VALUES ({marks(3)}, 0) ON CONFLICT (symbol) DO UPDATE SET "
            "last_attempt_at = excluded.last_attempt_at, "
            "last_success_at = excluded.last_success_at, consecutive_failures = 0",
            statuses,
        )
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - start


def main() -> None:
    print(f"one cycle of {len(SYMBOLS)} symbols, median of {ROUNDS} rounds")
    for name, engine in each_database():
        clock = Clock()
        timings: dict[str, list[float]] = {"cycle": [], "write": [], "raw": []}
        for _ in range(ROUNDS):
            for label, run in (
                ("cycle", time_cycle),
                ("write", time_write_path),
                ("raw", time_raw),
            ):
                clock.now += timedelta(minutes=1)
                timings[label].append(run(engine, clock))
        cycle, write, raw = (statistics.median(timings[k]) * 1000 for k in timings)
        print(
            f"{name:>10}: write path {write:6.1f} ms, raw executemany {raw:6.1f} ms, "
            f"ratio {write / raw:.2f}x (target <= 1.3); whole cycle {cycle:6.1f} ms"
        )


if __name__ == "__main__":
    main()
