"""Alert evaluation at scale, and how soon a fired alert reaches a webhook.

1. 100,000 active rules over 500 symbols, one cycle of 500 new quotes: ``alerts.evaluate``
   (with its event, delivery and rule writes when 1 % of the rules fire) against the floor of
   one raw SQL statement doing the same comparison over the same stored quotes, side by side
   in one run, once with nothing firing and once with 1 % firing. Targets: <= 1.5x the floor
   and under 200 ms.
2. A real scheduler process on the demo market with a JSON webhook receiver on 127.0.0.1:
   the time from a quote being fetched and stored to its alert arriving (p50, p95; target p95
   under 2 s).

    .venv/bin/python -m bench.alerts
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, TextClause, insert, select, text, update

from bench.common import each_database
from stockmon.domain import notify
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.config import load_settings
from stockmon.domain.db import upsert
from stockmon.domain.models import AlertEvent, AlertRule, NotificationChannel, Quote, User
from stockmon.domain.watchlists import save_picks
from stockmon.scheduler.alert_evaluation import evaluate
from tests.conftest import add_user, subprocess_environment
from tests.receivers import receiving
from tests.running import start_scheduler

SYMBOLS = [f"S{i:03d}" for i in range(500)]
USERS = 200
RULES_PER_USER = 500  # 100,000 rules, 200 on each symbol
FIRING_EVERY = 100  # 1 % of the rules hold on the quotes below
ROUNDS = 9
LATENCY_SAMPLES = 30

FLOOR_SQL = """
SELECT r.id FROM alert_rules AS r JOIN quotes AS q ON q.symbol = r.symbol
WHERE q.symbol IN ({symbols}) AND r.paused = {false} AND r.created_at <= q.fetched_at AND (
  (r.armed = {true} AND (
      (r.kind = 'above' AND q.price >= r.threshold)
   OR (r.kind = 'below' AND q.price <= r.threshold)
   OR (r.kind = 'up_pct' AND q.change_percent >= r.threshold)
   OR (r.kind = 'down_pct' AND q.change_percent <= -r.threshold)))
  OR (r.armed = {false} AND (
      (r.kind = 'above' AND q.price < r.threshold * 0.999)
   OR (r.kind = 'below' AND q.price > r.threshold * 1.001)
   OR (r.kind = 'up_pct' AND q.change_percent < r.threshold - 0.05)
   OR (r.kind = 'down_pct' AND q.change_percent > -r.threshold + 0.05))))
"""


def _rule(user_id: int, index: int, created_at: datetime) -> dict:
    """Every kind; 1 in FIRING_EVERY holds at price 100 / +0.5 %, 1 in 10 has fired already
    and stays fired (its condition still holds)."""
    kind = ("above", "below", "up_pct", "down_pct")[index % 4]
    threshold = {"above": 150.0, "below": 50.0, "up_pct": 5.0, "down_pct": 5.0}[kind]
    armed = True
    if index % FIRING_EVERY == 0:
        kind, threshold = "above", 99.0
    elif index % 10 == 1:
        kind, threshold, armed = "above", 90.0, False
    return {
        "user_id": user_id,
        "symbol": SYMBOLS[(user_id * RULES_PER_USER + index) % len(SYMBOLS)],
        "kind": kind,
        "threshold": threshold,
        "note": "",
        "paused": False,
        "one_shot": False,
        "armed": armed,
        "created_at": created_at,
    }


def populate(engine: Engine, now: datetime) -> None:
    """The users, their rules and a webhook each, and the cycle's 500 new quotes."""
    created = now - timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    "username": f"u{i}",
                    "name": f"U{i}",
                    "email": f"u{i}@example.com",
                    "password_hash": "x",
                    "created_at": created,
                }
                for i in range(USERS)
            ],
        )
        user_ids = conn.execute(select(User.id)).scalars().all()
        conn.execute(
            insert(NotificationChannel),
            [
                {"user_id": u, "url": "json://127.0.0.1:9/x", "shown": "x", "created_at": created}
                for u in user_ids
            ],
        )
        conn.execute(
            insert(AlertRule),
            [_rule(u, i, created) for u in user_ids for i in range(RULES_PER_USER)],
        )
        quotes = [
            {
                "symbol": s,
                "price": 100.0,
                "open": 99.0,
                "high": 101.0,
                "low": 98.0,
                "previous_close": 99.5,
                "change": 0.5,
                "change_percent": 0.5,
                "volume": 1_000_000,
                "latest_trading_day": now.date(),
                "fetched_at": now,
            }
            for s in SYMBOLS
        ]
        upsert(conn, Quote.__table__, quotes, keys=["symbol"])
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def floor_statement(engine: Engine) -> TextClause:
    sqlite = engine.dialect.name == "sqlite"
    return text(
        FLOOR_SQL.format(
            symbols=", ".join(f"'{s}'" for s in SYMBOLS),
            true="1" if sqlite else "true",
            false="0" if sqlite else "false",
        )
    )


def one_round(engine: Engine, price: float, now: datetime) -> tuple[float, float, int]:
    """(floor seconds, evaluate seconds, events fired) with every quote at ``price``, in a
    transaction that is then rolled back, so every round starts alike."""
    floor = floor_statement(engine)
    with engine.connect() as conn, conn.begin() as transaction:
        conn.execute(update(Quote).values(price=price))
        start = time.perf_counter()
        changing = len(conn.execute(floor).all())
        floor_seconds = time.perf_counter() - start
        start = time.perf_counter()
        fired = evaluate(conn, SYMBOLS, now)
        evaluate_seconds = time.perf_counter() - start
        transaction.rollback()
    assert fired == changing, (fired, changing)
    return floor_seconds, evaluate_seconds, fired


def evaluation(name: str, engine: Engine) -> None:
    now = datetime.now(UTC)
    populate(engine, now)
    for label, price in (("nothing fires", 98.9), ("1 % fire", 100.0)):
        rounds = [one_round(engine, price, now) for _ in range(ROUNDS)]
        floor_ms = statistics.median(r[0] for r in rounds) * 1000
        ours_ms = statistics.median(r[1] for r in rounds) * 1000
        print(
            f"{name:>10}, {label:>13}: evaluate {ours_ms:6.1f} ms ({rounds[0][2]:4d} events "
            f"written; target < 200 ms), raw SQL floor {floor_ms:6.1f} ms, "
            f"ratio {ours_ms / floor_ms:.2f}x (target <= 1.5)"
        )


def latency(name: str, database_url: str, engine: Engine) -> None:
    """Seconds from a quote's fetch to its alert's arrival at a local webhook."""
    user_id = add_user(engine, "latency")
    save_picks(engine, user_id, ["AAPL"])
    environment = subprocess_environment(
        STOCKMON_DATABASE_URL=database_url,
        STOCKMON_PROVIDER="demo",
        STOCKMON_NOTIFY_ALLOW_PRIVATE="true",  # the receivers are on 127.0.0.1
        STOCKMON_REFRESH_SECONDS="1",
    )
    waits = []
    with tempfile.TemporaryDirectory() as folder, receiving() as receiver:
        # the receiver is on 127.0.0.1; the channel is stored with the scheduler's secret key
        secret_key = environment["STOCKMON_SECRET_KEY"]
        notify.configure(load_settings(notify_allow_private=True, secret_key=secret_key))
        notify.add_channel(engine, user_id, receiver.json_url())
        with open(Path(folder) / "scheduler.log", "w") as log:
            process = start_scheduler(environment, log, cwd=Path(folder))
        try:
            for sample in range(LATENCY_SAMPLES):
                create_rule(engine, user_id, "AAPL", "above", 1)  # fires on its next quote
                deadline = time.monotonic() + 30
                while len(receiver.arrived_at) <= sample:
                    if time.monotonic() > deadline or process.poll() is not None:
                        log_tail = (Path(folder) / "scheduler.log").read_text()[-3000:]
                        raise SystemExit(
                            f"{name}: no alert arrived. The scheduler's log:\n{log_tail}"
                        )
                    time.sleep(0.01)
                with engine.connect() as conn:
                    quote_at = conn.execute(
                        select(AlertEvent.quote_at).order_by(AlertEvent.id.desc()).limit(1)
                    ).scalar_one()
                waits.append(receiver.arrived_at[sample] - quote_at.timestamp())
        finally:
            process.terminate()
            process.wait(timeout=30)
    p50, p95 = statistics.median(waits), statistics.quantiles(waits, n=20)[-1]
    print(
        f"{name:>10}: quote to webhook p50 {p50 * 1000:5.0f} ms, p95 {p95 * 1000:5.0f} ms "
        f"over {len(waits)} alerts (target p95 < 2000 ms)"
    )


def main() -> None:
    total = USERS * RULES_PER_USER
    print(f"{total:,} rules on {len(SYMBOLS)} symbols, median of {ROUNDS} rounds")
    for name, engine in each_database():
        evaluation(name, engine)
    print("a scheduler process on the demo market delivering to a local JSON webhook")
    for name, engine in each_database():
        latency(name, engine.url.render_as_string(hide_password=False), engine)


if __name__ == "__main__":
    main()
