"""How fast a streamed trade becomes a stored price: Finnhub's trade stream (the fake stream on
127.0.0.1, over a real WebSocket) into the database, on SQLite and on PostgreSQL.

The stream follows 10 symbols that have a polled quote; the fake sends T trades, one every
50 ms, each to a random symbol at a price never used before, and the benchmark times each from
the moment it was sent until the database holds that price. It prints p50 and p95; target p95
under 1 s.

    .venv/bin/python -m bench.stream [TRADES]
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from sqlalchemy import select

from bench.common import each_database
from stockmon.domain.db import upsert
from stockmon.domain.models import Quote, table_of, utcnow
from stockmon.scheduler.stream import TradeStream
from tests.fake_finnhub import serve_finnhub

SYMBOLS = [f"S{i:02d}" for i in range(10)]
TARGET_P95_SECONDS = 1.0
SENT_EVERY = 0.05
LANDED_WITHIN = 30.0  # a trade not stored by then counts as lost


def seed_quotes(engine) -> None:
    now = utcnow()
    rows = [
        {"symbol": s, "price": 100.0, "previous_close": 100.0, "fetched_at": now} for s in SYMBOLS
    ]
    with engine.begin() as conn:
        upsert(conn, table_of(Quote), rows, keys=["symbol"])


def stored_price(engine, symbol: str) -> float | None:
    with engine.connect() as conn:
        return conn.execute(select(Quote.price).where(Quote.symbol == symbol)).scalar()


def measure(engine, trades: int) -> tuple[list[float], int]:
    """(seconds from send to stored, per trade; trades never stored)."""
    seed_quotes(engine)
    chooser = random.Random(7)
    latencies: list[float] = []
    lost = 0
    with serve_finnhub() as fake:
        stream = TradeStream(engine, fake.stream.url, fake.api_key, None, point_seconds=5.0)
        stream.follow(SYMBOLS)
        stream.start()
        try:
            if not fake.stream.wait_for(lambda: fake.stream.subscribed() == set(SYMBOLS), 30):
                raise SystemExit("the stream did not subscribe within 30 s")
            for index in range(trades):
                symbol = chooser.choice(SYMBOLS)
                price = round(100 + index / 100, 2)
                sent = time.monotonic()
                fake.stream.trade(symbol, price)
                while stored_price(engine, symbol) != price:
                    if time.monotonic() - sent > LANDED_WITHIN:
                        lost += 1
                        break
                    time.sleep(0.005)
                else:
                    latencies.append(time.monotonic() - sent)
                time.sleep(max(SENT_EVERY - (time.monotonic() - sent), 0))
        finally:
            stream.stop()
    return latencies, lost


def main() -> None:
    trades = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"{trades} trades over {len(SYMBOLS)} symbols, one every {SENT_EVERY * 1000:.0f} ms")
    for name, engine in each_database():
        latencies, lost = measure(engine, trades)
        p50 = statistics.median(latencies)
        p95 = statistics.quantiles(latencies, n=20)[-1]
        print(
            f"{name:>10} trade sent to price stored: p50 {p50 * 1000:.0f} ms, p95 "
            f"{p95 * 1000:.0f} ms (target p95 < {TARGET_P95_SECONDS * 1000:.0f} ms), "
            f"lost: {lost}"
        )


if __name__ == "__main__":
    main()
