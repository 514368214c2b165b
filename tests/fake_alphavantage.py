"""A scriptable Alpha Vantage stand-in speaking real HTTP on 127.0.0.1, for tests and local trials.

Each symbol answers a quote unless a behaviour is scripted for it (``server.script[symbol]``) or
for every request (``server.default``). Behaviours: ok, note, information, error, badkey, empty,
http500, slow, malformed, html, premium_sample.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

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


@dataclass
class FakeAlphaVantage:
    url: str = ""
    api_key: str = "test-key-s3cr3t"
    default: str = "ok"
    script: dict[str, str] = field(default_factory=dict)
    prices: dict[str, float] = field(default_factory=dict)
    bodies: dict[str, dict] = field(default_factory=dict)  # exact answers by symbol
    slow_seconds: float = 2.0
    requests: list[dict[str, str]] = field(default_factory=list)

    def answer(self, params: dict[str, str]) -> tuple[int, str, bytes]:
        self.requests.append(params)
        if params.get("apikey") != self.api_key:
            return _json({"Error Message": BAD_KEY})
        function = params.get("function")
        symbols = params.get("symbol", "").split(",")
        behaviour = self.script.get(symbols[0], self.default)
        if behaviour == "slow":
            time.sleep(self.slow_seconds)
        if function == "REALTIME_BULK_QUOTES":
            return self._bulk(symbols, behaviour)
        if function != "GLOBAL_QUOTE" or not symbols[0]:
            return _json({"Error Message": INVALID_CALL})
        return self._global_quote(symbols[0], behaviour)

    def _global_quote(self, symbol: str, behaviour: str) -> tuple[int, str, bytes]:
        match behaviour:
            case "note":
                return _json({"Note": NOTE})
            case "information":
                return _json({"Information": INFORMATION})
            case "error":
                return _json({"Error Message": INVALID_CALL})
            case "empty":
                return _json({"Global Quote": {}})
            case "http500":
                return 500, "text/plain", b"Internal Server Error"
            case "malformed":
                return (
                    200,
                    "application/json",
                    b'{"Global Quote": {"01. symbol": "' + symbol.encode(),
                )
            case "html":
                return 200, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            case "nonnumeric":
                body = global_quote(symbol, self.prices.get(symbol, 112.13))
                body["Global Quote"]["05. price"] = "N/A"
                return _json(body)
        if symbol in self.bodies:
            return _json(self.bodies[symbol])
        return _json(global_quote(symbol, self.prices.get(symbol, 112.13)))

    def _bulk(self, symbols: list[str], behaviour: str) -> tuple[int, str, bytes]:
        if behaviour == "premium_sample":
            return _json(
                {
                    "endpoint": "Realtime Bulk Quotes",
                    "message": "This is a premium endpoint; the data below is for demo purposes.",
                    "data": [bulk_row("SAMPLE", 1.0)],
                }
            )
        rows = [
            bulk_row(s, self.prices.get(s, 100.0)) for s in symbols if self.script.get(s) != "empty"
        ]
        return _json({"endpoint": "Realtime Bulk Quotes", "message": "success", "data": rows})


def _json(body: dict) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(body).encode()


@contextmanager
def serve(fake: FakeAlphaVantage | None = None) -> Iterator[FakeAlphaVantage]:
    """Run ``fake`` on an ephemeral 127.0.0.1 port for the duration of the block."""
    fake = fake or FakeAlphaVantage()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            status, content_type, body = fake.answer({k: v[-1] for k, v in query.items()})
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
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
