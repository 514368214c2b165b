"""Alpha Vantage client: GLOBAL_QUOTE (one symbol a request) or REALTIME_BULK_QUOTES (premium).

Alpha Vantage answers HTTP 200 for everything, errors and rate limits included, so an answer is
told apart by its JSON keys, never by its status code or wording. The API key rides in the query
string; it is redacted from every message and log record this module can reach.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

from stockmon.providers.base import (
    FetchResult,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    RateLimited,
    SymbolRejected,
)

log = logging.getLogger(__name__)

PER_MINUTE_BACKOFF = timedelta(minutes=1)
DAILY_LIMIT_BACKOFF = timedelta(hours=1)
BAD_KEY_BACKOFF = timedelta(minutes=10)
BULK_MAX_SYMBOLS = 100

_APIKEY_IN_URL = re.compile(r"(apikey=)[^&\s'\"]+", re.IGNORECASE)
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry")


def redact(text: str, secret: str | None) -> str:
    """``text`` with the API key (and any ``apikey=`` query value) replaced by ``***``."""
    if secret:
        text = text.replace(secret, "***")
    return _APIKEY_IN_URL.sub(r"\1***", text)


class _RedactKeys(logging.Filter):
    """Scrubs keys from records urllib3 logs (its DEBUG lines carry the full request URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = redact(message, secret)
        record.msg, record.args = redact(message, None), None
        return True


_KEY_FILTER = _RedactKeys()
for _name in _URLLIB3_LOGGERS:
    logging.getLogger(_name).addFilter(_KEY_FILTER)


def _number(fields: Mapping[str, Any], key: str) -> float:
    raw = fields.get(key)
    try:
        value = float(str(raw).strip().rstrip("%"))
    except ValueError:
        raise ProviderError(f"field {key!r} is not a number: {str(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise ProviderError(f"field {key!r} is not a finite number: {str(raw)[:40]!r}")
    return value


def _day(raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise ProviderError(f"latest trading day is not a date: {str(raw)[:40]!r}") from None


# Where each QuoteData field sits in the two answer formats.
GLOBAL_QUOTE_FIELDS = {
    "symbol": "01. symbol",
    "open": "02. open",
    "high": "03. high",
    "low": "04. low",
    "price": "05. price",
    "volume": "06. volume",
    "latest_trading_day": "07. latest trading day",
    "previous_close": "08. previous close",
    "change": "09. change",
    "change_percent": "10. change percent",  # "-0.5852%"
}
BULK_QUOTE_FIELDS = {
    "symbol": "symbol",
    "open": "open",
    "high": "high",
    "low": "low",
    "price": "close",
    "volume": "volume",
    "latest_trading_day": "timestamp",
    "previous_close": "previous_close",
    "change": "change",
    "change_percent": "change_percent",  # "0.3456", no "%"
}


def _quote(fields: Mapping[str, Any], names: Mapping[str, str]) -> QuoteData:
    """``QuoteData`` from one answer object whose keys are ``names``; every field is required."""
    if missing := [key for key in names.values() if key not in fields]:
        raise ProviderError(f"quote is missing {', '.join(missing)}")
    numbers = {
        name: _number(fields, key)
        for name, key in names.items()
        if name not in ("symbol", "latest_trading_day")
    }
    if numbers["price"] <= 0:
        raise ProviderError(f"price is not positive: {numbers['price']}")
    return QuoteData(
        symbol=str(fields[names["symbol"]]).upper(),
        latest_trading_day=_day(fields[names["latest_trading_day"]]),
        **{**numbers, "volume": int(numbers["volume"])},
    )


def parse_global_quote(symbol: str, body: Mapping[str, Any]) -> QuoteData:
    """The ``Global Quote`` object of a GLOBAL_QUOTE answer as ``QuoteData``."""
    fields = body.get("Global Quote")
    if not isinstance(fields, dict):
        raise ProviderError("'Global Quote' is not an object")
    if not fields:
        raise SymbolRejected(f"no quote for {symbol} (unknown symbol)")
    quote = _quote(fields, GLOBAL_QUOTE_FIELDS)
    if quote.symbol != symbol:
        raise ProviderError(f"asked for {symbol}, answer is for {quote.symbol[:20]!r}")
    return quote


def parse_bulk_row(row: Mapping[str, Any]) -> QuoteData:
    """One ``data`` row of a REALTIME_BULK_QUOTES answer."""
    return _quote(row, BULK_QUOTE_FIELDS)


def _is_timeout(error: requests.RequestException) -> bool:
    """A timeout, also when it surfaces as the last of several retries."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    if isinstance(reason, NewConnectionError):  # urllib3 files refusals under timeouts
        return False
    return isinstance(error, requests.Timeout) or isinstance(reason, Urllib3Timeout)


def check_for_refusal(body: Mapping[str, Any]) -> None:
    """Raise for the answers that refuse the request rather than describe a symbol."""
    if "Note" in body:
        raise RateLimited(f"per-minute rate limit: {str(body['Note'])[:160]}", PER_MINUTE_BACKOFF)
    if "Information" in body:
        raise RateLimited(
            f"rate limit or plan limit: {str(body['Information'])[:160]}", DAILY_LIMIT_BACKOFF
        )
    message = body.get("Error Message")
    if message is not None and "apikey" in str(message).lower():
        raise ProviderUnavailable("the API key was rejected", BAD_KEY_BACKOFF)


class AlphaVantageProvider:
    name = "alphavantage"
    rate_limited = True

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float = 10.0,
        bulk: bool = False,
        min_request_interval: float = 1.0,
        retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._key = api_key
        self._base_url = base_url
        self._timeout = timeout
        self._bulk = bulk
        self.batch_size = BULK_MAX_SYMBOLS if bulk else 1
        self._min_interval = min_request_interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._last_request: float | None = None
        self._session = requests.Session()
        retry = Retry(
            total=retries,
            connect=retries,
            read=1,
            status=retries,
            backoff_factor=0.5,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        _KEY_FILTER.secrets.add(api_key)

    def close(self) -> None:
        self._session.close()

    def fetch(self, symbols: Sequence[str]) -> dict[str, FetchResult]:
        if self._bulk:
            return self._fetch_bulk(symbols)
        if len(symbols) != 1:
            raise ValueError("GLOBAL_QUOTE takes one symbol a request")
        symbol = symbols[0]
        try:
            body = self._get({"function": "GLOBAL_QUOTE", "symbol": symbol})
            check_for_refusal(body)
            if "Error Message" in body:
                raise SymbolRejected(f"rejected: {str(body['Error Message'])[:160]}")
            return {symbol: parse_global_quote(symbol, body)}
        except ProviderUnavailable:
            raise
        except ProviderError as error:
            return {symbol: error}

    def _fetch_bulk(self, symbols: Sequence[str]) -> dict[str, FetchResult]:
        try:
            body = self._get({"function": "REALTIME_BULK_QUOTES", "symbol": ",".join(symbols)})
            check_for_refusal(body)
            if "Error Message" in body:
                raise ProviderError(f"rejected: {str(body['Error Message'])[:160]}")
            if str(body.get("message", "")).lower() != "success":
                # A free key gets sample rows with a premium notice: never store those.
                raise ProviderUnavailable(
                    "bulk quotes need a premium key (set ALPHA_VANTAGE_BULK_QUOTES=false): "
                    f"{str(body.get('message'))[:120]}",
                    DAILY_LIMIT_BACKOFF,
                )
            rows = body.get("data")
            if not isinstance(rows, list):
                raise ProviderError("bulk answer has no 'data' list")
        except ProviderUnavailable:
            raise
        except ProviderError as error:
            return {symbol: error for symbol in symbols}
        wanted = set(symbols)
        results: dict[str, FetchResult] = {}
        for row in rows:
            if not isinstance(row, dict) or str(row.get("symbol", "")).upper() not in wanted:
                continue
            symbol = str(row["symbol"]).upper()
            try:
                results[symbol] = parse_bulk_row(row)
            except ProviderError as error:
                results[symbol] = error
        for symbol in wanted - results.keys():
            results[symbol] = SymbolRejected(f"no quote for {symbol} in the bulk answer")
        return results

    def _get(self, params: dict[str, str]) -> dict[str, Any]:
        self._space_requests()
        try:
            response = self._session.get(
                self._base_url,
                params={**params, "apikey": self._key},
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            if _is_timeout(error):
                raise ProviderError(f"no answer within {self._timeout:g} s") from None
            raise ProviderError(
                f"request failed: {redact(f'{type(error).__name__}: {error}', self._key)}"
            ) from None
        if response.status_code != 200:
            raise ProviderError(f"HTTP {response.status_code} from the quote server")
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "unknown type").split(";")[0]
            raise ProviderError(
                f"answer is not JSON ({kind}, {len(response.content)} bytes)"
            ) from None
        if not isinstance(body, dict):
            raise ProviderError(f"answer is JSON {type(body).__name__}, not an object")
        return body

    def _space_requests(self) -> None:
        now = self._monotonic()
        if self._last_request is not None:
            wait = self._last_request + self._min_interval - now
            if wait > 0:
                self._sleep(wait)
                now += wait
        self._last_request = now
