"""A scriptable Finnhub stand-in on 127.0.0.1: its REST API over real HTTP and its trade stream
over a real WebSocket, answering as Finnhub documents (see the provider's answer table).

REST: each symbol answers ``/quote`` unless a behaviour is scripted for it (``script[symbol]``,
a name or a list used one request at a time, the last repeating) or for every request
(``default``); ``failure_rate`` turns that share of answers into HTTP 502 (seeded). The server
counts what it received (``received``: arrival time, path, symbol, the token in the header and
in the query string). Behaviours are in ``BEHAVIOURS``. ``/stock/profile2`` describes priced and
searchable listings by their suffix, unless ``profiles`` scripts the answer.

Stream (``stream``): clients connect with ``?token=KEY``, subscribe and unsubscribe by symbol;
``trade`` sends a trade message to every client subscribed to its symbol, ``ping`` a keep-alive,
``drop`` closes every connection as Finnhub's restarts do. More than ``symbol_cap`` symbols on
one connection answers the documented error message.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.wire_counts import fails_at_random, requests_over

NO_KEY = {"error": "Please use an API key."}
BAD_KEY = {"error": "Invalid API key."}
NO_ACCESS = {"error": "You don't have access to this resource."}
LIMIT = {"error": "API limit reached. Please try again later. Remaining Limit: 0"}
UNKNOWN_QUOTE = {"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0, "pc": 0, "t": 0}
TOO_MANY_SYMBOLS = {"msg": "Subscribing to too many symbols", "type": "error"}

BEHAVIOURS = (
    "ok", "unknown", "forbidden", "nokey", "badkey", "http429", "http429_headers", "http500",
    "http502", "http503", "reset", "slow", "html", "malformed", "not_json", "json_list",
    "missing_field", "nonnumeric", "zero_price", "negative_price", "null_price",
)  # fmt: skip

SEARCHABLE = [
    ("AAPL", "APPLE INC", "Common Stock"),
    ("AAPL.MX", "APPLE INC", "Common Stock"),
    ("ASML", "ASML HOLDING NV-NY REG SHS", "ADR"),
    ("ASML.AS", "ASML HOLDING NV", "Common Stock"),
    ("SPY", "SPDR S&P 500 ETF TRUST", "ETP"),
]


EARNINGS_ROUTE = "/calendar/earnings"  # also what ``script`` keys its behaviour by
EARNINGS = {  # symbol: (days from today, hour as Finnhub writes it)
    "AAPL": (9, "amc"),
    "MSFT": (20, "bmo"),
    "NVDA": (3, "dmh"),
    "ZZZZ": (5, "amc"),  # a company nobody tracks
}


def earnings_calendar(
    reports: dict[str, tuple[int, str]], today: date, start: str, end: str
) -> dict:
    """A ``/calendar/earnings`` answer: each report ``days`` from ``today``, those from
    ``start`` to ``end`` (ISO days)."""
    rows = []
    for symbol, (days, hour) in reports.items():
        day = today + timedelta(days=days)
        if start <= day.isoformat() <= end:
            rows.append({"date": day.isoformat(), "epsActual": None, "epsEstimate": 1.5,
                         "hour": hour, "quarter": 1, "revenueActual": None,
                         "revenueEstimate": 1.2e11, "symbol": symbol,
                         "year": day.year})  # fmt: skip
    return {"earningsCalendar": rows}


US_PROFILE = ("US", "USD", "NASDAQ NMS - GLOBAL MARKET")
SUFFIX_PROFILES = {
    "AS": ("NL", "EUR", "EURONEXT AMSTERDAM"),
    "MX": ("MX", "MXN", "BOLSA MEXICANA DE VALORES (MEXICAN STOCK EXCHANGE)"),
}


def quote_body(price: float, market_time: int) -> dict:
    previous = round(price / 1.0046, 4)
    change = round(price - previous, 4)
    return {
        "c": price,
        "d": change,
        "dp": round(change / previous * 100, 4),
        "h": round(price * 1.006, 4),
        "l": round(price * 0.99, 4),
        "o": round(price * 0.997, 4),
        "pc": previous,
        "t": market_time,
    }


@dataclass
class Received:
    at: float  # ``FakeFinnhub.now()`` on arrival
    path: str  # "/quote", "/search", ...
    symbol: str
    header_token: str
    query_token: str
    query: str  # the raw query string, as it crossed the wire


@dataclass
class FakeFinnhub:
    url: str = ""  # REST base, like https://finnhub.io/api/v1
    api_key: str = "finnhub-test-t0ken"
    default: str = "ok"
    script: dict[str, str | list[str]] = field(default_factory=dict)
    prices: dict[str, float] = field(default_factory=dict)
    slow_seconds: float = 2.0
    failure_rate: float = 0.0
    seed: int = 0
    now: Callable[[], float] = time.time  # arrival times and the quotes' market time
    market_time: float | None = None  # the quotes' ``t`` when set, instead of ``now()``
    profiles: dict[str, dict] = field(default_factory=dict)  # ``/stock/profile2`` answers
    earnings: dict[str, tuple[int, str]] = field(default_factory=lambda: dict(EARNINGS))
    calendar_start: date = field(default_factory=lambda: datetime.now(UTC).date())
    received: list[Received] = field(default_factory=list)
    stream: FakeTradeStream | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._asked: Counter[str] = Counter()

    def over_limits(self, per_minute: int, per_second: int = 30) -> int:
        """Requests that arrived with ``per_minute`` others in the minute before them, or
        ``per_second`` others in the second before them."""
        return requests_over((r.at for r in self.received), {60: per_minute, 1: per_second})

    def behaviour_for(self, subject: str) -> str:
        scripted = self.script.get(subject, self.default)
        if isinstance(scripted, list):
            return scripted.pop(0) if len(scripted) > 1 else scripted[0]
        return scripted

    def answer(
        self, path: str, query: str, header_token: str
    ) -> tuple[int, str, bytes, dict[str, str]] | None:
        """(status, content type, body, headers), or None to drop the connection."""
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        route = path.removeprefix("/api/v1")
        subject = params.get("symbol") or params.get("q") or ""
        if route == EARNINGS_ROUTE:
            subject = EARNINGS_ROUTE
        query_token = params.get("token", "")
        with self._lock:
            self.received.append(
                Received(self.now(), route, subject, header_token, query_token, query)
            )
            behaviour = self.behaviour_for(subject)
            if self.failure_rate:
                self._asked[subject] += 1
                nth = self._asked[subject]
                if fails_at_random(self.seed, subject, nth, self.failure_rate):
                    behaviour = "http502"
        token = header_token or query_token
        if behaviour == "nokey" or not token:
            return _json(NO_KEY, 401)
        if behaviour == "badkey" or token != self.api_key:
            return _json(BAD_KEY, 401)
        if behaviour == "slow":
            time.sleep(self.slow_seconds)
        match behaviour:
            case "reset":
                return None
            case "forbidden":
                return _json(NO_ACCESS, 403)
            case "http429":
                return _json(LIMIT, 429)
            case "http429_headers":
                reset = str(int(self.now()) + 3)
                headers = {"X-Ratelimit-Limit": "60", "X-Ratelimit-Remaining": "0",
                           "X-Ratelimit-Reset": reset}  # fmt: skip
                return 429, "application/json", json.dumps(LIMIT).encode(), headers
            case "http500" | "http502" | "http503":
                return int(behaviour[4:]), "text/plain", b"Server Error", {}
            case "html":
                return 200, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>", {}
            case "not_json":
                return 200, "application/json", b"{'c': nonsense", {}
            case "json_list":
                return _json([subject])
        if route == "/quote":
            return self._quote(subject, behaviour)
        if route == "/search":
            return _json(self._search(subject))
        if route == "/stock/profile2":
            return _json(self._profile(subject))
        if route == "/stock/metric":
            price = self.prices.get(subject, 100.0)
            metric = {"52WeekHigh": round(price * 1.3, 2), "52WeekHighDate": "2026-07-16",
                      "52WeekLow": round(price * 0.75, 2), "52WeekLowDate": "2026-04-08",
                      "beta": 1.2, "marketCapitalization": 3435123.5, "peTTM": 34.5}  # fmt: skip
            return _json({"metric": metric, "metricType": "all", "series": {}, "symbol": subject})
        if route == EARNINGS_ROUTE:
            start, end = params.get("from", ""), params.get("to", "")
            return _json(earnings_calendar(self.earnings, self.calendar_start, start, end))
        if route == "/stock/candle":
            return _json(NO_ACCESS, 403)
        return _json({"error": "Wrong endpoint"}, 404)

    def _quote(self, symbol: str, behaviour: str) -> tuple[int, str, bytes, dict[str, str]]:
        if behaviour == "unknown" or (symbol not in self.prices and self.prices):
            return _json(UNKNOWN_QUOTE)
        traded = self.market_time if self.market_time is not None else self.now()
        body: dict = quote_body(self.prices.get(symbol, 100.0), int(traded))
        match behaviour:
            case "malformed":
                return 200, "application/json", json.dumps(body).encode()[:25], {}
            case "missing_field":
                body.pop("c")
            case "nonnumeric":
                body["c"] = "N/A"
            case "zero_price":
                body["c"] = 0
            case "negative_price":
                body["c"] = -12.5
            case "null_price":
                body["c"] = None
        return _json(body)

    def _search(self, words: str) -> dict:
        words = words.lower()
        result = [
            {"description": name, "displaySymbol": symbol, "symbol": symbol, "type": kind}
            for symbol, name, kind in SEARCHABLE
            if symbol.lower().startswith(words) or words in name.lower()
        ]
        return {"count": len(result), "result": result}

    def _profile(self, symbol: str) -> dict:
        if symbol in self.profiles:
            return self.profiles[symbol]
        if symbol not in self.prices and symbol not in {s for s, _, _ in SEARCHABLE}:
            return {}  # Finnhub's answer for a listing it has no profile of
        country, currency, exchange = SUFFIX_PROFILES.get(
            symbol.rpartition(".")[2] if "." in symbol else "", US_PROFILE
        )
        return {"country": country, "currency": currency, "exchange": exchange,
                "finnhubIndustry": "Technology", "ipo": "1980-12-12", "marketCapitalization":
                3_500_000.5, "name": f"{symbol.title()} Inc", "ticker": symbol,
                "shareOutstanding": 15_000.1, "weburl": "https://example.com/"}  # fmt: skip


def _json(body: dict | list, status: int = 200) -> tuple[int, str, bytes, dict[str, str]]:
    return status, "application/json", json.dumps(body).encode(), {}


@dataclass
class FakeTradeStream:
    """Finnhub's trade stream: one connection per key, subscriptions per connection."""

    api_key: str
    url: str = ""
    symbol_cap: int = 50
    connects: int = 0  # handshakes accepted
    refused: int = 0  # handshakes with a wrong or missing token
    urls_seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribed: dict[ServerConnection, set[str]] = {}
        self.changed = threading.Condition(self._lock)

    def subscribed(self) -> set[str]:
        with self._lock:
            return set().union(*self._subscribed.values()) if self._subscribed else set()

    def connections(self) -> int:
        with self._lock:
            return len(self._subscribed)

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``condition()`` holds, looking again at every subscription change."""
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with self.changed:
                self.changed.wait(min(left, 0.2))
        return True

    def trade(
        self, symbol: str, price: float, volume: float = 100, at_ms: int | None = None
    ) -> int:
        """Send one trade to every client subscribed to ``symbol``; how many got it."""
        at_ms = at_ms if at_ms is not None else int(time.time() * 1000)
        message = json.dumps(
            {
                "data": [{"c": ["1"], "p": price, "s": symbol, "t": at_ms, "v": volume}],
                "type": "trade",
            }
        )
        return self._send_where(lambda symbols: symbol in symbols, message)

    def ping(self) -> int:
        return self._send_where(lambda _: True, json.dumps({"type": "ping"}))

    def drop(self) -> None:
        """Close every connection, as a restart of Finnhub's servers does."""
        with self._lock:
            connections = list(self._subscribed)
        for connection in connections:
            connection.close(code=1001, reason="restart")

    def _send_where(self, wanted: Callable[[set[str]], bool], message: str) -> int:
        with self._lock:
            targets = [c for c, symbols in self._subscribed.items() if wanted(symbols)]
        sent = 0
        for connection in targets:
            try:
                connection.send(message)
                sent += 1
            except ConnectionClosed:
                pass
        return sent

    def check_token(self, connection: ServerConnection, request) -> Response | None:
        self.urls_seen.append(request.path)
        token = parse_qs(urlparse(request.path).query).get("token", [""])[-1]
        if token == self.api_key:
            return None
        with self._lock:
            self.refused += 1
        body = json.dumps(BAD_KEY).encode()
        headers = Headers({"Content-Type": "application/json", "Content-Length": str(len(body))})
        return Response(401, "Unauthorized", headers, body)

    def handle(self, connection: ServerConnection) -> None:
        with self.changed:
            self.connects += 1
            self._subscribed[connection] = set()
            self.changed.notify_all()
        try:
            for raw in connection:
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                symbol = str(message.get("symbol", ""))
                with self.changed:
                    symbols = self._subscribed[connection]
                    if message.get("type") == "subscribe":
                        if len(symbols) >= self.symbol_cap:
                            error = json.dumps(TOO_MANY_SYMBOLS)
                        else:
                            symbols.add(symbol)
                            error = ""
                    elif message.get("type") == "unsubscribe":
                        symbols.discard(symbol)
                        error = ""
                    else:
                        continue
                    self.changed.notify_all()
                if error:
                    connection.send(error)
        except ConnectionClosed:
            pass
        finally:
            with self.changed:
                self._subscribed.pop(connection, None)
                self.changed.notify_all()


@contextmanager
def serve_finnhub(fake: FakeFinnhub | None = None) -> Iterator[FakeFinnhub]:
    """Run ``fake``'s REST API and trade stream on ephemeral 127.0.0.1 ports for the block."""
    fake = fake or FakeFinnhub()
    stream = fake.stream = fake.stream or FakeTradeStream(fake.api_key)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            header_token = self.headers.get("X-Finnhub-Token", "")
            answer = fake.answer(parsed.path, parsed.query, header_token)
            if answer is None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, content_type, body, headers = answer
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, daemon=True).start()
    ws: Server = serve(
        stream.handle, "127.0.0.1", 0, process_request=stream.check_token, compression=None
    )
    threading.Thread(target=ws.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{http.server_address[1]}/api/v1"
    stream.url = f"ws://127.0.0.1:{ws.socket.getsockname()[1]}"
    try:
        yield fake
    finally:
        http.shutdown()
        http.server_close()
        ws.shutdown()
