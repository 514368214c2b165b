"""The refresh cycle's writer: results buffered and stored in batched, fenced transactions,
with the alerts the new quotes fire (an outbox: events commit with their quotes).

The latest trade wins: a polled quote whose market time is older than the stored one (a trade
streamed after the poll's) brings its day's figures but keeps the stored price, change and
market time, so a price never steps back to an older one."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, Row, select
from sqlmodel import col

from stockmon.domain.backoff import growing_wait
from stockmon.domain.calendar import Market
from stockmon.domain.db import insert_ignoring_duplicates, upsert
from stockmon.domain.models import FetchStatus, PriceHistory, Quote, table_of, utcnow
from stockmon.providers.base import FetchResult, QuoteData, SymbolRejected
from stockmon.scheduler import alert_evaluation
from stockmon.scheduler.leadership import Fence, fenced
from stockmon.scheduler.pacing import REJECTED_BACKOFF, failure_backoff

FLUSH_EVERY_RESULTS = 500
FLUSH_EVERY_SECONDS = 2.0


class ResultWriter:
    """Buffers results and writes them in batched transactions, each fenced by the lease."""

    def __init__(
        self,
        engine: Engine,
        statuses: dict[str, Row],
        interval: timedelta | None,
        slot: timedelta | None,
        fence: Fence | None,
        markets: Mapping[str, Market] | None = None,
        now: Callable[[], datetime] = utcnow,
        on_alerts: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self._statuses = statuses
        self._interval = interval
        self._slot = slot
        self._markets = markets or {}
        self._now = now
        self._fence = fence
        self._on_alerts = on_alerts
        self.alerts_fired = 0
        self._quotes: list[dict] = []
        self._history: list[dict] = []
        self._status_rows: list[dict] = []
        self._last_flush = time.monotonic()

    def add(self, symbol: str, result: FetchResult, attempted_at: datetime) -> None:
        previous = self._statuses.get(symbol)
        status = {
            "symbol": symbol,
            "last_attempt_at": attempted_at,
            "last_success_at": previous.last_success_at if previous else None,
            "last_error": None,
            "rejection": None,
            "consecutive_failures": 0,
            "retry_after": None,
        }
        if isinstance(result, QuoteData):
            self._quotes.append({**vars(result), "fetched_at": attempted_at})
            self._history.append(
                {
                    "symbol": symbol,
                    "ts": attempted_at,
                    "price": result.price,
                    "volume": result.volume,
                }
            )
            status["last_success_at"] = attempted_at
        else:
            failures = (previous.consecutive_failures if previous else 0) + 1
            if isinstance(result, SymbolRejected):
                retry_at = attempted_at + (
                    result.backoff or growing_wait(failures, *REJECTED_BACKOFF)
                )
                status["rejection"] = result.reason[:100]
            else:
                answered_before = status["last_success_at"] is not None
                retry_at = self._retry_at(symbol, attempted_at, failures, answered_before)
            status.update(
                last_error=str(result)[:500],
                consecutive_failures=failures,
                retry_after=retry_at,
            )
        self._status_rows.append(status)
        if (
            len(self._status_rows) >= FLUSH_EVERY_RESULTS
            or time.monotonic() - self._last_flush >= FLUSH_EVERY_SECONDS
        ):
            self.flush()

    def _retry_at(
        self, symbol: str, attempted_at: datetime, failures: int, answered_before: bool
    ) -> datetime:
        """After a passing failure; paced, the back-off counts trading time, so nights and
        weekends do not bring a failing symbol back to the head of the queue."""
        wait = failure_backoff(failures, self._interval, self._slot, answered_before)
        market = self._markets.get(symbol)
        if market is not None and (later := market.after_trading(attempted_at, wait)):
            return later
        return attempted_at + wait

    def flush(self) -> None:
        fired = 0
        if self._status_rows:
            with fenced(self.engine, self._fence) as conn:
                keep_later_trades(conn, self._quotes, self._history)
                upsert(conn, table_of(Quote), self._quotes, keys=["symbol"])
                insert_ignoring_duplicates(conn, table_of(PriceHistory), self._history)
                symbols = [q["symbol"] for q in self._quotes]
                fired = alert_evaluation.evaluate(conn, symbols, self._now())
                upsert(conn, table_of(FetchStatus), self._status_rows, keys=["symbol"])
        self.alerts_fired += fired
        if fired and self._on_alerts:  # committed: the events can be delivered now
            self._on_alerts()
        self._quotes, self._history, self._status_rows = [], [], []
        self._last_flush = time.monotonic()


LATEST_TRADE_FIELDS = ("price", "change", "change_percent", "market_time")


def keep_later_trades(conn: Connection, quotes: list[dict], history: list[dict]) -> None:
    """Where a stored quote's market time is later than a polled one's, keep the stored price,
    change and market time in ``quotes`` (and the price in ``history``)."""
    timed = {q["symbol"]: q for q in quotes if q.get("market_time") is not None}
    if not timed:
        return
    stored = conn.execute(
        select(
            col(Quote.symbol),
            col(Quote.price),
            col(Quote.change),
            col(Quote.change_percent),
            col(Quote.market_time),
        ).where(col(Quote.symbol).in_(list(timed)), col(Quote.market_time).is_not(None))
    ).all()
    later = {
        row.symbol: row
        for row in stored
        if _utc(row.market_time) > _utc(timed[row.symbol]["market_time"])
    }
    for symbol, row in later.items():
        timed[symbol].update({field: getattr(row, field) for field in LATEST_TRADE_FIELDS})
    for point in history:
        if (kept := later.get(point["symbol"])) is not None:
            point["price"] = kept.price


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
