"""The dashboard's reads.

1. 100 tracked symbols with 30 days of minute history: the shared snapshot every open
   dashboard slices (latest quotes + downsampled sparklines + fetch problems + heartbeat +
   alert counters), against the same quote and sparkline SQL run raw through the driver.
   Targets: ratio <= 1.5, and under 50 ms on SQLite. The snapshot is taken once per refresh
   period per app process, whatever the number of sessions.
2. 10,000 accounts, 1,000 of them with 100 picks: what each session's rerun costs, before
   (every account's credentials loaded to build the login object; the dashboard read per
   session) and now (the one account checked; the shared snapshot sliced).

    .venv/bin/python -m bench.dashboard
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from bench.common import each_database
from stockmon.app.dashboard import SPARKLINE_POINTS, SPARKLINE_WINDOW
from stockmon.app.queries import latest_quotes, sparklines
from stockmon.app.snapshot import take_snapshot
from stockmon.domain.accounts import get_account
from stockmon.domain.catalog import load_catalog
from stockmon.domain.sessions import start_login, valid_session

DAYS = 30
ROUNDS = 15
NOW = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
PICKS = [entry.symbol for entry in load_catalog()[:100]]


def fill(engine: Engine) -> int:
    """30 days of one price a minute for every pick, generated inside the database."""
    minutes = DAYS * 24 * 60
    start = NOW - timedelta(minutes=minutes)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "INSERT INTO price_history (symbol, ts, price, volume) "
                    "SELECT s.symbol, :start + make_interval(mins => m), "
                    "100 + 10 * sin(m / 200.0 + length(s.symbol)), 1000 "
                    "FROM symbols s, generate_series(1, :minutes) m WHERE s.symbol = ANY(:picks)"
                ),
                {"start": start, "minutes": minutes, "picks": PICKS},
            )
        else:
            conn.execute(
                text(
                    "WITH RECURSIVE m(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM m "
                    "WHERE n < :minutes) "
                    "INSERT INTO price_history (symbol, ts, price, volume) "
                    "SELECT s.symbol, strftime('%Y-%m-%d %H:%M:%S', :start, '+' || n || ' minutes')"
                    " || '.000000', 100 + 10 * sin(n / 200.0 + length(s.symbol)), 1000 "
                    "FROM symbols s, m WHERE s.symbol IN (SELECT value FROM json_each(:picks))"
                ),
                {"start": start.strftime("%Y-%m-%d %H:%M:%S"), "minutes": minutes,
                 "picks": "[" + ",".join(f'"{p}"' for p in PICKS) + "]"},
            )  # fmt: skip
            conn.execute(text("ANALYZE"))
        conn.execute(
            text(
                "INSERT INTO quotes (symbol, price, open, high, low, previous_close, change, "
                "change_percent, volume, latest_trading_day, fetched_at) "
                "SELECT symbol, 101, 100, 102, 99, 100, 1, 1, 1000000, :day, :now FROM symbols "
                f"WHERE symbol IN ({', '.join(repr(p) for p in PICKS)})"
            ),
            {"day": NOW.date(), "now": NOW if engine.dialect.name == "postgresql"
             else NOW.strftime("%Y-%m-%d %H:%M:%S.%f")},
        )  # fmt: skip
        rows = conn.execute(text("SELECT count(*) FROM price_history")).scalar_one()
    if engine.dialect.name == "postgresql":  # what autovacuum does in production
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE price_history"))
    return rows


def raw_load(engine: Engine) -> tuple[list, list]:
    """The same statements stockmon runs, written by hand, through the driver."""
    pg = engine.dialect.name == "postgresql"
    mark = "%s" if pg else "?"
    marks = ", ".join([mark] * len(PICKS))
    since = NOW - SPARKLINE_WINDOW
    since_value = since if pg else since.strftime("%Y-%m-%d %H:%M:%S.%f")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(
            f"SELECT q.*, s.name FROM quotes q JOIN symbols s ON s.symbol = q.symbol "
            f"WHERE q.symbol IN ({marks})",
            PICKS,
        )
        quotes = cursor.fetchall()
        cursor.execute(
            f"SELECT min(ts) FROM price_history WHERE symbol IN ({marks}) AND ts >= {mark}",
            [*PICKS, since_value],
        )
        first = cursor.fetchone()[0]
        if not pg:
            first = datetime.fromisoformat(first).replace(tzinfo=UTC)
        step = (NOW - first) / SPARKLINE_POINTS
        times = [first + step * i for i in range(1, SPARKLINE_POINTS + 1)]

        def stamp(moment: datetime) -> object:
            return moment if pg else moment.strftime("%Y-%m-%d %H:%M:%S.%f")

        sample = (
            f"(SELECT h.price FROM price_history h WHERE h.symbol = s.symbol "
            f"AND h.ts <= {mark} AND h.ts >= {mark} ORDER BY h.ts DESC LIMIT 1)"
        )
        cursor.execute(
            f"SELECT s.symbol, {', '.join([sample] * len(times))} FROM symbols s "
            f"WHERE s.symbol IN ({marks})",
            [*(v for t in times for v in (stamp(t), stamp(first))), *PICKS],
        )
        series = cursor.fetchall()
    finally:
        raw.close()
    return quotes, series


def main() -> None:
    print(f"{len(PICKS)} picks, {DAYS} days of minute history, median of {ROUNDS} loads")
    for name, engine in each_database():
        started = time.perf_counter()
        rows = fill(engine)
        elapsed = time.perf_counter() - started
        print(f"{name:>10}: {rows:,} history rows written in {elapsed:.0f} s")
        data = take_snapshot(engine, NOW).for_picks(PICKS, {})
        quotes, series = raw_load(engine)
        assert len(data.quotes) == len(quotes) == len(PICKS)
        assert sum(map(len, data.sparklines.values())) == sum(
            price is not None for row in series for price in row[1:]
        )
        ours, theirs = [], []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            take_snapshot(engine, NOW).for_picks(PICKS, {})
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            raw_load(engine)
            theirs.append(time.perf_counter() - start)
        mine, raw = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
        print(
            f"{name:>10}: snapshot {mine:6.1f} ms, raw SQL {raw:6.1f} ms, "
            f"ratio {mine / raw:.2f}x (target <= 1.5; SQLite under 50 ms)"
        )
        per_session(name, engine)


ACCOUNTS = 10_000
WATCHERS = 1_000


def per_session(name: str, engine: Engine) -> None:
    """Each session's rerun with 10,000 accounts: before and now, median of ROUNDS."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, name, email, password_hash, created_at, "
                "is_admin) VALUES (:u, :u, :e, :h, :now, false)"
            ),
            [
                {"u": f"user{i}", "e": f"user{i}@example.com", "h": "$2b$12$" + "x" * 53,
                 "now": NOW if engine.dialect.name == "postgresql" else str(NOW)}
                for i in range(ACCOUNTS)
            ],
        )  # fmt: skip
        stamp = NOW if engine.dialect.name == "postgresql" else str(NOW)
        conn.execute(
            text(
                "INSERT INTO watchlists (user_id, name, position, created_at) "
                "SELECT id, 'My stocks', 0, :now FROM users ORDER BY id LIMIT :n"
            ),
            {"now": stamp, "n": WATCHERS},
        )
        lists = conn.execute(text("SELECT id FROM watchlists")).scalars().all()
        conn.execute(
            text(
                "INSERT INTO watchlist_items (watchlist_id, symbol, position, added_at) "
                "VALUES (:list, :symbol, :position, :now)"
            ),
            [
                {"list": list_id, "symbol": symbol, "position": i, "now": stamp}
                for list_id in lists for i, symbol in enumerate(PICKS)
            ],
        )  # fmt: skip
    timings: dict[str, list[float]] = {"before": [], "now": []}
    snapshot = take_snapshot(engine, NOW)
    started = NOW - timedelta(days=1)
    login = start_login(engine, get_account(engine, "user500"), started)
    for _ in range(ROUNDS):
        start = time.perf_counter()
        with engine.connect() as conn:  # the login object was built from every account
            credentials = {
                row.username: {"name": row.name, "email": row.email, "password": row.password_hash}
                for row in conn.execute(
                    text("SELECT username, name, email, password_hash FROM users")
                )
            }
        latest_quotes(engine, PICKS)
        sparklines(engine, PICKS, NOW - SPARKLINE_WINDOW, NOW, SPARKLINE_POINTS)
        timings["before"].append(time.perf_counter() - start)
        start = time.perf_counter()
        valid_session(engine, "user500", login, started)
        snapshot.for_picks(PICKS, {})
        timings["now"].append(time.perf_counter() - start)
    assert len(credentials) == ACCOUNTS
    before, now = (statistics.median(timings[k]) * 1000 for k in ("before", "now"))
    print(
        f"{name:>10}: a session's rerun with {ACCOUNTS:,} accounts: before {before:6.1f} ms "
        f"(all credentials + its own dashboard reads), now {now:6.2f} ms (one account checked, "
        f"the shared snapshot sliced); {before / now:.0f}x less"
    )


if __name__ == "__main__":
    main()
