"""How fast a streamed trade reaches people: Finnhub's trade stream (the fake stream on
127.0.0.1, over a real WebSocket) into the database, and on to an open dashboard.

(a) To the database, on SQLite and on PostgreSQL: the stream follows 10 symbols that have a
polled quote; the fake sends T trades, one every 50 ms, each to a random symbol at a price never
used before, timed from the moment each was sent until the database holds its price. Target
p95 under 1 s.

(b) To the dashboard: the product (a scheduler on the fake Finnhub, the app, SQLite) with one
logged-in dashboard, a protocol tab (``tests/streamlit_client.py``) refreshing every 5 s as a
browser does; 60 trades a few seconds apart at new prices (the fake's quotes follow them, as
Finnhub's do), each timed until the tab is sent its price. Target p95 within the dashboard
refresh period + 1 s.

    .venv/bin/python -m bench.stream [TRADES]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select

from bench.common import each_database
from stockmon.domain import accounts
from stockmon.domain.db import make_engine, upsert
from stockmon.domain.models import Quote, table_of, utcnow
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import save_picks
from stockmon.scheduler.stream import TradeStream
from tests.fake_finnhub import serve_finnhub
from tests.running import running_product
from tests.streamlit_client import ProtocolTabs, login_cookie

SYMBOLS = [f"S{i:02d}" for i in range(10)]
TARGET_P95_SECONDS = 1.0
SENT_EVERY = 0.05
LANDED_WITHIN = 30.0  # a trade not stored by then counts as lost
DASHBOARD_REFRESH_SECONDS = 5
DASHBOARD_TRADES = 60  # enough for a p95 that is not simply the slowest one
PICKS = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL"]
COOKIE_KEY = "bench-cookie-key-" + "x" * 32


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


def to_dashboard() -> tuple[list[float], int]:
    """(seconds from a trade sent to its price drawn on the open dashboard; trades never drawn)."""
    drawn: list[tuple[float, str]] = []
    lock = threading.Lock()

    def seen(body: str) -> None:
        with lock:
            drawn.append((time.monotonic(), body))

    with tempfile.TemporaryDirectory() as folder, serve_finnhub() as fake:
        fake.prices.update(dict.fromkeys(PICKS, 100.0))
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        prepare_database(engine)
        person = accounts.create_user(engine, "finn", "Finn", "finn@example.com", "finn-s3cret")
        save_picks(engine, person.id, PICKS)
        settings = {
            "STOCKMON_DATABASE_URL": url,
            "STOCKMON_DATA_DIR": folder,
            "STOCKMON_COOKIE_KEY": COOKIE_KEY,
            "STOCKMON_MARKET_HOURS": "false",
            "STOCKMON_DASHBOARD_REFRESH_SECONDS": str(DASHBOARD_REFRESH_SECONDS),
            "FINNHUB_API_KEY": fake.api_key,
            "FINNHUB_BASE_URL": fake.url,
            "FINNHUB_WS_URL": fake.stream.url,
        }
        with running_product(settings, Path(folder) / "logs") as product:
            stream = fake.stream
            if not stream.wait_for(lambda: set(PICKS) <= stream.subscribed(), 60):
                raise SystemExit("the stream did not subscribe within 60 s")
            tabs = ProtocolTabs(product.url)
            try:
                session = tabs.open(login_cookie(engine, "finn", COOKIE_KEY))
                session.seen = seen
                latencies, lost = [], 0
                chooser = random.Random(7)
                for index in range(DASHBOARD_TRADES):
                    symbol = chooser.choice(PICKS)
                    price = round(200 + index + chooser.random() / 2, 2)
                    fake.prices[symbol] = price  # the polls agree with the stream, as Finnhub's do
                    shown = f"{price:,.2f}"
                    sent = time.monotonic()
                    stream.trade(symbol, price)
                    deadline = sent + DASHBOARD_REFRESH_SECONDS * 4
                    while time.monotonic() < deadline:
                        with lock:
                            hit = next((t for t, b in drawn if t >= sent and shown in b), None)
                        if hit is not None:
                            latencies.append(hit - sent)
                            break
                        time.sleep(0.02)
                    else:
                        lost += 1
                    time.sleep(chooser.uniform(1, 3))
            finally:
                tabs.close()
        engine.dispose()
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
    latencies, lost = to_dashboard()
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    target = DASHBOARD_REFRESH_SECONDS + 1
    print(
        f"    sqlite trade sent to the open dashboard (refreshing every "
        f"{DASHBOARD_REFRESH_SECONDS} s): p50 {p50:.2f} s, p95 {p95:.2f} s (target p95 <= "
        f"{target} s), never drawn: {lost}"
    )


if __name__ == "__main__":
    main()
