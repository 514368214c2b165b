"""Finnhub's trade stream, in the leading scheduler only: one WebSocket that moves prices
between the polled quotes.

The stream follows the tracked US symbols up to the plan's cap (the rest are polled only).
Trades are gathered in memory and written every ``FLUSH_SECONDS`` in one fenced transaction:
each symbol's latest price and change (its previous close, open, high and low still come from
``/quote``), a history point at most every ``point_seconds`` per symbol, and the alerts the new
prices fire, as for polled ones. Finnhub's ``ping`` messages keep the connection known alive; a
dropped or silent one reconnects with growing waits while polling covers the gap. A lost lease
closes the stream at once, and nothing is written under another leader's fence.

The stream's URL carries the key (Finnhub takes it nowhere else), so it is never logged: errors
are described by their type and redacted text only.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine, select, update
from sqlmodel import col
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from stockmon.domain import redaction
from stockmon.domain.backoff import growing_wait
from stockmon.domain.calendar import is_us_listing
from stockmon.domain.db import insert_ignoring_duplicates, upsert
from stockmon.domain.models import (
    STREAM_ERROR,
    STREAM_SINCE,
    STREAM_STATE,
    STREAM_SYMBOLS,
    STREAM_TRADES_MINUTE,
    PriceHistory,
    Quote,
    SchedulerState,
    StreamState,
    table_of,
    utcnow,
)
from stockmon.scheduler import alert_evaluation
from stockmon.scheduler.leadership import Fence, LeadershipLost, fenced

log = logging.getLogger(__name__)
SYMBOL_CAP = 50  # symbols one free connection may follow
FLUSH_SECONDS = 0.25  # trades to the database at most this long after they arrive
SILENCE_SECONDS = 60.0  # no message, not even a ping, for this long: reconnect
RECONNECT_WAIT = (timedelta(seconds=1), timedelta(minutes=2))  # first, longest
STATE_EVERY_SECONDS = 5.0


def stream_symbols(tracked: Sequence[str], cap: int = SYMBOL_CAP) -> list[str]:
    """The tracked symbols the stream follows: US listings (the plan's market), in order, up to
    ``cap``."""
    return [s for s in tracked if is_us_listing(s)][:cap]


@dataclass
class _Pending:
    price: float
    traded_at: datetime


@dataclass
class TradeStream:
    engine: Engine
    url: str
    api_key: str
    fence: Fence | None
    point_seconds: float = 5.0
    cap: int = SYMBOL_CAP
    now: Callable[[], datetime] = utcnow
    on_alerts: Callable[[], None] | None = None
    _wanted: list[str] = field(default_factory=list)
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _last_point: dict[str, float] = field(default_factory=dict)
    _trades: deque[float] = field(default_factory=deque)
    _since: datetime | None = None
    _error: str = ""
    _state: StreamState = StreamState.OFF
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._connection: ClientConnection | None = None
        redaction.add_secret(self.api_key)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def follow(self, tracked: Sequence[str]) -> None:
        """Follow ``tracked``'s US symbols from now on (subscriptions change on the stream)."""
        with self._lock:
            self._wanted = stream_symbols(tracked, self.cap)

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="trade-stream", daemon=True)
        self._thread.start()

    def stop(self, wait: float = 5.0) -> None:
        """Close the stream now (a deposed leader, a shutdown)."""
        self._stop.set()
        if (connection := self._connection) is not None:
            connection.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait)
        self._thread = None

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._state = StreamState.CONNECTING if not failures else StreamState.RECONNECTING
            try:
                self._stream()
                failures = 0
            except LeadershipLost as lost:
                log.warning("trade stream closed: %s", lost)
                break
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidURI) as error:
                if self._stop.is_set():
                    break  # closed on purpose
                self._error = _describe(error)
                log.warning("trade stream: %s", self._error)
            except Exception as error:  # the stream must never take the scheduler down
                self._error = _describe(error)
                log.exception("trade stream failed")
            self._connection = None
            self._since = None
            if self._stop.is_set():
                break
            failures += 1
            self._state = StreamState.RECONNECTING
            self._publish_quietly()
            self._stop.wait(growing_wait(failures, *RECONNECT_WAIT).total_seconds())
        self._state = StreamState.OFF
        self._connection = None

    def _stream(self) -> None:
        address = f"{self.url}?{urlencode({'token': self.api_key})}"
        with connect(address, open_timeout=10, close_timeout=2, compression=None) as connection:
            self._connection = connection
            self._since = self.now()
            self._state = StreamState.CONNECTED
            self._error = ""
            log.info("trade stream connected")
            subscribed: set[str] = set()
            heard = last_state = time.monotonic()
            while not self._stop.is_set():
                subscribed = self._subscribe(connection, subscribed)
                try:
                    raw = connection.recv(timeout=FLUSH_SECONDS)
                except TimeoutError:
                    raw = None
                if raw is not None:
                    heard = time.monotonic()
                    self._take(raw)
                if time.monotonic() - heard > SILENCE_SECONDS:
                    raise TimeoutError(f"no message for {SILENCE_SECONDS:g} s")
                self._flush()
                if time.monotonic() - last_state >= STATE_EVERY_SECONDS:
                    self._publish(subscribed)
                    last_state = time.monotonic()

    def _subscribe(self, connection: ClientConnection, subscribed: set[str]) -> set[str]:
        with self._lock:
            wanted = set(self._wanted)
        for symbol in sorted(subscribed - wanted):
            connection.send(json.dumps({"type": "unsubscribe", "symbol": symbol}))
        for symbol in sorted(wanted - subscribed):
            connection.send(json.dumps({"type": "subscribe", "symbol": symbol}))
        return wanted

    def _take(self, raw: str | bytes) -> None:
        """One message: trades are kept (the latest per symbol), pings only prove the line."""
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("type") == "error":
            self._error = redaction.brief(str(message.get("msg", "stream error")))
            log.warning("trade stream: %s", self._error)
            return
        if message.get("type") != "trade" or not isinstance(message.get("data"), list):
            return
        with self._lock:
            wanted = set(self._wanted)
        for trade in message["data"]:
            if not isinstance(trade, dict) or trade.get("s") not in wanted:
                continue
            price, at = trade.get("p"), trade.get("t")
            if isinstance(price, bool) or not isinstance(price, int | float) or price <= 0:
                continue
            if isinstance(at, bool) or not isinstance(at, int | float) or at <= 0:
                continue
            traded_at = datetime.fromtimestamp(at / 1000, UTC)
            pending = self._pending.get(trade["s"])
            if pending is None or traded_at >= pending.traded_at:
                self._pending[trade["s"]] = _Pending(float(price), traded_at)
            self._trades.append(time.monotonic())

    def _flush(self) -> None:
        """Write the gathered trades in one fenced transaction, with the alerts they fire."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        now = self.now()
        clock = time.monotonic()
        points = []
        with fenced(self.engine, self.fence) as conn:
            previous_closes = dict(
                conn.execute(
                    select(col(Quote.symbol), col(Quote.previous_close)).where(
                        col(Quote.symbol).in_(list(pending))
                    )
                ).all()
            )
            for symbol, trade in pending.items():
                if symbol not in previous_closes:
                    continue  # no polled quote yet: its day's figures come first
                values: dict[str, object] = {
                    "price": trade.price,
                    "market_time": trade.traded_at,
                    "fetched_at": now,
                }
                if (close := previous_closes[symbol]) is not None and close > 0:
                    values["change"] = trade.price - close
                    values["change_percent"] = (trade.price - close) / close * 100
                conn.execute(update(Quote).where(col(Quote.symbol) == symbol).values(**values))
                if clock - self._last_point.get(symbol, -float("inf")) >= self.point_seconds:
                    points.append({"symbol": symbol, "ts": now, "price": trade.price})
                    self._last_point[symbol] = clock
            insert_ignoring_duplicates(conn, table_of(PriceHistory), points)
            fired = alert_evaluation.evaluate(conn, list(previous_closes), now)
        if fired and self.on_alerts:
            self.on_alerts()

    def trades_last_minute(self) -> int:
        horizon = time.monotonic() - 60
        while self._trades and self._trades[0] < horizon:
            self._trades.popleft()
        return len(self._trades)

    def _publish(self, subscribed: set[str]) -> None:
        facts = {
            STREAM_STATE: self._state.value,
            STREAM_SINCE: self._since.isoformat() if self._since else "",
            STREAM_SYMBOLS: str(len(subscribed)),
            STREAM_TRADES_MINUTE: str(self.trades_last_minute()),
            STREAM_ERROR: self._error,
        }
        now = self.now()
        rows = [{"key": k, "value": v, "updated_at": now} for k, v in facts.items()]
        with fenced(self.engine, self.fence) as conn:
            upsert(conn, table_of(SchedulerState), rows, keys=["key"])

    def _publish_quietly(self) -> None:
        """The state after a failure: a lost lease or a busy database only skip it."""
        try:
            self._publish(set())
        except Exception as error:
            log.debug("trade stream state not written: %s", type(error).__name__)


def _describe(error: BaseException) -> str:
    """An error in words that never carry the stream's URL (it holds the key)."""
    if isinstance(error, InvalidStatus):
        return f"the stream refused the connection (HTTP {error.response.status_code})"
    return redaction.brief(f"{type(error).__name__}: {error}")
