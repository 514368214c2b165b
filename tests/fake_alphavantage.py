"""A scriptable Alpha Vantage stand-in speaking real HTTP on 127.0.0.1, for tests and local trials.

Each symbol answers a quote unless a behaviour is scripted for it (``server.script[symbol]``, a
name or a list of names used one request at a time, the last one repeating) or for every
request (``server.default``). ``failure_rate`` turns that share of answers into HTTP 500 (seeded).
The server counts what it really received: ``requests`` (the parameters) and ``received``
(arrival time, API key, function, symbol, entitlement). Behaviours are in ``BEHAVIOURS``.
A quote asked with ``entitlement=delayed`` is answered under Alpha Vantage's decorated key,
``"Global Quote - DATA DELAYED BY 15 MINUTES"``.
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

from tests.wire_counts import fails_at_random, requests_over

NOTE = (
    "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and "
    "500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to "
    "target a higher API call frequency."
)
INFORMATION = (
    "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day. Please "
    "subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly "
    "remove all daily rate limits."
)
INVALID_CALL = (
    "Invalid API call. Please retry or visit the documentation "
    "(https://www.alphavantage.co/documentation/) for GLOBAL_QUOTE."
)
BURST = (
    "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more "
    "sparingly (1 request per second). You may subscribe to any of the premium plans at "
    "https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day) "
    "and instantly remove all daily rate limits."
)
PREMIUM = (
    "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of "
    "the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium "
    "endpoints"
)


def daily_limit_quoting(key: str) -> str:
    return (
        f"We have detected your API key as {key} and our standard API rate limit is 25 requests "
        "per day. Please subscribe to any of the premium plans at "
        "https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."
    )


BAD_KEY = (
    "the parameter apikey is invalid or missing. Please claim your free API key on "
    "(https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds, and is "
    "free permanently."
)


def global_quote(symbol: str, price: float = 112.13) -> dict:
    previous = round(price * 1.005886, 4)
    change = round(price - previous, 4)
    return {
        "Global Quote": {
            "01. symbol": symbol,
            "02. open": f"{price * 1.0045:.4f}",
            "03. high": f"{price * 1.0093:.4f}",
            "04. low": f"{price * 0.9867:.4f}",
            "05. price": f"{price:.4f}",
            "06. volume": "29062853",
            "07. latest trading day": "2018-10-05",
            "08. previous close": f"{previous:.4f}",
            "09. change": f"{change:.4f}",
            "10. change percent": f"{change / previous * 100:.4f}%",
        }
    }


SEARCHABLE = [
    ("ASML", "ASML Holding N.V.", "United States", "USD", "09:30", "16:00", "UTC-05"),
    ("ASML.AMS", "ASML Holding N.V.", "Amsterdam", "EUR", "09:00", "17:30", "UTC+01"),
    ("TSCO.LON", "Tesco PLC", "United Kingdom", "GBX", "08:00", "16:30", "UTC+00"),
    ("RELIANCE.BSE", "Reliance Industries Ltd.", "India/Bombay", "INR", "09:15", "15:30",
     "UTC+5.5"),
    ("SHOP.TRT", "Shopify Inc.", "Toronto", "CAD", "09:30", "16:00", "UTC-05"),
]  # fmt: skip


def search_matches(keywords: str) -> list[dict]:
    """SYMBOL_SEARCH's ``bestMatches`` for ``keywords``, in Alpha Vantage's field names."""
    words = keywords.lower()
    return [
        {"1. symbol": symbol, "2. name": name, "3. type": "Equity", "4. region": region,
         "5. marketOpen": opens, "6. marketClose": closes, "7. timezone": zone,
         "8. currency": currency, "9. matchScore": "1.0000" if symbol.lower() == words else "0.6"}
        for symbol, name, region, currency, opens, closes, zone in SEARCHABLE
        if symbol.lower().startswith(words) or words in name.lower()
    ]  # fmt: skip


def daily_series(symbol: str, price: float, days: int = 100) -> dict:
    """A TIME_SERIES_DAILY compact answer: ``days`` weekdays up to 2026-03-03, around ``price``."""
    series, day, step = {}, date(2026, 3, 3), 0
    while len(series) < days:
        if day.weekday() < 5:
            close = price * (1 + 0.01 * ((step % 7) - 3))
            series[day.isoformat()] = {
                "1. open": f"{close * 0.995:.4f}", "2. high": f"{close * 1.01:.4f}",
                "3. low": f"{close * 0.985:.4f}", "4. close": f"{close:.4f}",
                "5. volume": str(1_000_000 + step),
            }  # fmt: skip
            step += 1
        day -= timedelta(days=1)
    return {"Meta Data": {"2. Symbol": symbol, "4. Output Size": "Compact"},
            "Time Series (Daily)": series}  # fmt: skip


def bulk_row(symbol: str, price: float) -> dict:
    return {
        "symbol": symbol,
        "timestamp": "2024-10-18 19:59:55.291",
        "open": f"{price * 0.99:.2f}",
        "high": f"{price * 1.01:.3f}",
        "low": f"{price * 0.98:.4f}",
        "close": f"{price:.2f}",
        "volume": "17145307",
        "previous_close": f"{price * 0.995:.2f}",
        "change": f"{price * 0.005:.2f}",
        "change_percent": "0.3456",
    }


EARNINGS_HEADER = "symbol,name,reportDate,fiscalDateEnding,estimate,currency,timeOfTheDay"
EARNINGS_SUBJECT = "EARNINGS_CALENDAR"  # what ``script`` keys the calendar's behaviour by
EARNINGS = {  # symbol: (days from today, time of day as Alpha Vantage writes it)
    "AAPL": (9, "post-market"),
    "MSFT": (20, "pre-market"),
    "IBM": (2, ""),
    "KO": (61, "pre-market"),
    "ZZZZ": (5, "post-market"),  # a company nobody tracks
}


def earnings_calendar(reports: dict[str, tuple[int, str]], start: date) -> str:
    """An EARNINGS_CALENDAR CSV answer: each report ``days`` from ``start``."""
    lines = [EARNINGS_HEADER]
    for symbol, (days, time_of_day) in reports.items():
        day = start + timedelta(days=days)
        lines.append(
            f"{symbol},{symbol} Inc,{day},{day - timedelta(days=35)},1.23,USD,{time_of_day}"
        )
    return "\r\n".join(lines) + "\r\n"


BEHAVIOURS = (
    "ok", "note", "note_key", "information", "information_key", "burst", "premium",
    "unknown_information", "error", "badkey", "empty", "http500", "http502", "http503",
    "http429", "http429_bare", "reset", "slow", "malformed", "not_json", "json_list", "html",
    "nonnumeric", "missing_field", "zero_price", "negative_price", "premium_sample",
)  # fmt: skip


DELAYED_QUOTE_KEY = "Global Quote - DATA DELAYED BY 15 MINUTES"


@dataclass
class Received:
    at: float  # ``FakeAlphaVantage.now()`` on arrival
    key: str
    function: str
    symbol: str
    entitlement: str = ""


@dataclass
class FakeAlphaVantage:
    url: str = ""
    api_key: str = "test-key-s3cr3t"
    other_keys: set[str] = field(default_factory=set)  # also accepted (several schedulers)
    default: str = "ok"
    script: dict[str, str | list[str]] = field(default_factory=dict)
    prices: dict[str, float] = field(default_factory=dict)
    bodies: dict[str, dict] = field(default_factory=dict)  # exact answers by symbol
    earnings: dict[str, tuple[int, str]] = field(default_factory=lambda: dict(EARNINGS))
    calendar_start: date = field(default_factory=lambda: datetime.now(UTC).date())
    slow_seconds: float = 2.0
    failure_rate: float = 0.0
    seed: int = 0
    now: Callable[[], float] = time.time  # the clock arrival times are read from
    requests: list[dict[str, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._asked: Counter[str] = Counter()  # requests so far, by subject

    def reseed(self, seed: int) -> None:
        """Restart the ``failure_rate`` failures from ``seed``."""
        self.seed = seed
        self._asked.clear()

    def _fails_at_random(self, subject: str) -> bool:
        self._asked[subject] += 1
        return fails_at_random(self.seed, subject, self._asked[subject], self.failure_rate)

    def over_limits(self, per_minute: int, per_day: int = 0) -> int:
        """Requests that arrived with ``per_minute`` others in the minute before them, or
        ``per_day`` others in the 24 hours before them (0: no daily limit)."""
        return requests_over((r.at for r in self.received), {60: per_minute, 86_400: per_day})

    def behaviour_for(self, symbol: str) -> str:
        scripted = self.script.get(symbol, self.default)
        if isinstance(scripted, list):
            return scripted.pop(0) if len(scripted) > 1 else scripted[0]
        return scripted

    def answer(self, params: dict[str, str]) -> tuple[int, str, bytes] | None:
        """(status, content type, body), or None to drop the connection without an answer."""
        function = params.get("function", "")
        symbols = params.get("symbol", "").split(",")
        searched = params.get("keywords", "") if function == "SYMBOL_SEARCH" else None
        subject = symbols[0] if searched is None else searched  # what ``script`` is keyed by
        if function == EARNINGS_SUBJECT:
            subject = EARNINGS_SUBJECT
        with self._lock:
            self.requests.append(params)
            key = params.get("apikey", "")
            entitlement = params.get("entitlement", "")
            self.received.append(Received(self.now(), key, function, subject, entitlement))
            behaviour = self.behaviour_for(subject)
            if self.failure_rate and self._fails_at_random(subject):
                behaviour = "http500"
        if key != self.api_key and key not in self.other_keys:
            return _json({"Error Message": BAD_KEY})
        if behaviour == "slow":
            time.sleep(self.slow_seconds)
        if behaviour == "reset":
            return None
        if function == "REALTIME_BULK_QUOTES":
            return self._bulk(symbols, behaviour)
        if function == EARNINGS_SUBJECT:
            if behaviour == "ok":
                return (
                    200,
                    "application/x-download",
                    earnings_calendar(self.earnings, self.calendar_start).encode(),
                )
            return self._global_quote(subject, behaviour, key)  # the same refusals
        if function == "OVERVIEW":
            if behaviour == "ok":
                price = self.prices.get(symbols[0], 112.13)
                return _json({"Symbol": symbols[0], "Sector": "TECHNOLOGY",
                              "MarketCapitalization": "3435123456789", "PERatio": "34.5",
                              "52WeekHigh": f"{price * 1.4:.2f}",
                              "52WeekLow": f"{price * 0.7:.2f}"})  # fmt: skip
            if behaviour == "empty":
                return _json({})  # OVERVIEW's answer for a symbol it does not know
            return self._global_quote(symbols[0], behaviour, key)  # the same refusals
        if function == "TIME_SERIES_DAILY":
            if behaviour == "ok":
                return _json(daily_series(symbols[0], self.prices.get(symbols[0], 112.13)))
            return self._global_quote(symbols[0], behaviour, key)  # the same refusals
        if searched is not None:
            if behaviour == "ok":
                return _json({"bestMatches": search_matches(searched)})
            return self._global_quote(searched, behaviour, key)  # the same refusals
        if function != "GLOBAL_QUOTE" or not symbols[0]:
            return _json({"Error Message": INVALID_CALL})
        status, content_type, body = self._global_quote(symbols[0], behaviour, key)
        if entitlement == "delayed" and body.startswith(b'{"Global Quote":'):
            body = body.replace(b'"Global Quote"', json.dumps(DELAYED_QUOTE_KEY).encode(), 1)
        return status, content_type, body

    def _global_quote(self, symbol: str, behaviour: str, key: str) -> tuple[int, str, bytes]:
        price = self.prices.get(symbol, 112.13)
        match behaviour:
            case "note":
                return _json({"Note": NOTE})
            case "note_key":
                return _json({"Note": daily_limit_quoting(key)})
            case "information":
                return _json({"Information": INFORMATION})
            case "information_key":
                return _json({"Information": daily_limit_quoting(key)})
            case "burst":
                return _json({"Information": BURST})
            case "premium":
                return _json({"Information": PREMIUM})
            case "unknown_information":
                return _json({"Information": "Something new happened to your key " + key})
            case "error":
                return _json({"Error Message": INVALID_CALL})
            case "badkey":
                return _json({"Error Message": BAD_KEY})
            case "empty":
                return _json({"Global Quote": {}})
            case "http500" | "http502" | "http503":
                return int(behaviour[4:]), "text/plain", b"Server Error"
            case "http429":
                return 429, "text/plain", b"Too Many Requests"
            case "http429_bare":
                return 429, "text/plain", b""
            case "malformed":
                return (
                    200,
                    "application/json",
                    b'{"Global Quote": {"01. symbol": "' + symbol.encode(),
                )
            case "not_json":
                return 200, "application/json", b"{'Global Quote': nonsense"
            case "json_list":
                return _json([symbol])
            case "html":
                return 200, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        body = self.bodies.get(symbol) or global_quote(symbol, price)
        fields = body.get("Global Quote", {})
        match behaviour:
            case "nonnumeric":
                fields["05. price"] = "N/A"
            case "missing_field":
                fields.pop("06. volume", None)
            case "zero_price":
                fields["05. price"] = "0.0000"
            case "negative_price":
                fields["05. price"] = "-12.5000"
        return _json(body)

    def _bulk(self, symbols: list[str], behaviour: str) -> tuple[int, str, bytes]:
        if behaviour == "premium_sample":
            return _json(
                {
                    "endpoint": "Realtime Bulk Quotes",
                    "message": "This is a premium endpoint; the data below is for demo purposes.",
                    "data": [bulk_row("SAMPLE", 1.0)],
                }
            )
        if behaviour in ("note", "information", "burst", "badkey"):
            status, content_type, body = self._global_quote(symbols[0], behaviour, "")
            return status, content_type, body
        if behaviour == "error":
            return _json({"Error Message": INVALID_CALL.replace("GLOBAL_QUOTE", "BULK")})
        rows = [
            bulk_row(s, self.prices.get(s, 100.0)) for s in symbols if self.script.get(s) != "empty"
        ]
        return _json({"endpoint": "Realtime Bulk Quotes", "message": "success", "data": rows})


def _json(body: dict | list) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(body).encode()


@contextmanager
def serve(fake: FakeAlphaVantage | None = None) -> Iterator[FakeAlphaVantage]:
    """Run ``fake`` on an ephemeral 127.0.0.1 port for the duration of the block."""
    fake = fake or FakeAlphaVantage()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            answer = fake.answer({k: v[-1] for k, v in query.items()})
            if answer is None:  # drop the connection without a word
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, content_type, body = answer
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if status == 429 and body:
                    self.send_header("Retry-After", "2")
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/query"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
