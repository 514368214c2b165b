"""Finnhub client: ``/quote`` (one symbol a request, real-time), ``/search`` and
``/stock/metric`` for the 52-week range. The free plan has no daily bars (``/stock/candle`` is
premium), so this provider offers no daily history.

Requests carry the key in the ``X-Finnhub-Token`` header, never in their URL, and go through
the gated transport like Alpha Vantage's: each try is recorded in the budget before it leaves.
HTTP 5xx and dropped connections get ``retries`` more gated tries; 429 is a rate limit that
honours any wait the answer names. What each answer means is decided in ``finnhub_answers``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from stockmon.domain import redaction
from stockmon.domain.data_class import DataClass
from stockmon.providers.base import (
    BatchRefused,
    FetchResult,
    Listing,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RequestGate,
    SymbolRejected,
    no_gate,
)
from stockmon.providers.finnhub_answers import (
    INVALID_KEY_BACKOFF,
    NO_ACCESS_BACKOFF,
    FinnhubAnswer,
    error_text,
    parse_quote,
    parse_search,
    parse_year_range,
)
from stockmon.providers.transport import (
    RETRY_STATUSES,
    Retryable,
    Spacing,
    gated_session,
    retry_after,
    short,
    with_retries,
)

PUBLIC_FINNHUB_URL = "https://finnhub.io/api/v1"
FREE_PER_MINUTE = 60
PER_SECOND_LIMIT = 30  # every plan's cap on top of its per-minute limit


class FinnhubProvider:
    name = "finnhub"
    rate_limited = True
    batch_size = 1  # Finnhub has no batch quote
    data_class = DataClass.REAL_TIME

    def __init__(
        self,
        api_key: str,
        base_url: str = PUBLIC_FINNHUB_URL,
        *,
        gate: RequestGate = no_gate,
        timeout: float = 10.0,
        requests_per_minute: int = 60,
        retries: int = 1,
        retry_wait: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._per_minute = requests_per_minute
        self._retries = retries
        self._retry_wait = timedelta(seconds=retry_wait)
        self._sleep = sleep
        self._spacing = Spacing(1 / PER_SECOND_LIMIT, sleep, monotonic)
        self._session = gated_session(gate)
        self._session.headers["X-Finnhub-Token"] = api_key
        redaction.add_secret(api_key)

    @property
    def plan(self) -> str:
        """Finnhub does not say; a rate above the free 60 a minute is a paid plan's."""
        return "free plan" if self._per_minute <= FREE_PER_MINUTE else "paid plan"

    def close(self) -> None:
        self._session.close()

    def fetch(self, symbols: Sequence[str]) -> dict[str, FetchResult]:
        if len(symbols) != 1:
            raise BatchRefused("Finnhub's /quote takes one symbol a request")
        symbol = symbols[0]
        try:
            return {symbol: parse_quote(symbol, self._get("/quote", symbol=symbol))}
        except ProviderUnavailable:
            raise
        except ProviderError as error:
            return {symbol: error}

    def year_range(self, symbol: str) -> tuple[float, float]:
        return parse_year_range(symbol, self._get("/stock/metric", symbol=symbol, metric="all"))

    def search(self, keywords: str) -> list[Listing]:
        return parse_search(self._get("/search", q=keywords))

    def _get(self, path: str, **params: str) -> dict[str, Any]:
        """One answer's JSON object, after at most ``retries`` gated retries."""
        return with_retries(
            lambda: self._send(path, params), self._retries, self._retry_wait, self._sleep
        )

    def _send(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        symbol = params.get("symbol", "")
        try:
            with self._spacing.turn():
                response = self._session.get(
                    self._base_url + path, params=params, timeout=self._timeout
                )
        except requests.Timeout:
            raise ProviderError(f"no answer within {self._timeout:g} s") from None
        except requests.ConnectionError as error:
            raise Retryable(f"connection failed: {short(error)}") from None
        except requests.RequestException as error:
            raise ProviderError(f"request failed: {short(error)}") from None
        status = response.status_code
        body = _json_or_none(response)
        said = error_text(body)
        if status == 401:
            raise ProviderUnavailable(
                f"Finnhub refused the API key ({FinnhubAnswer.INVALID_KEY}: {said})",
                INVALID_KEY_BACKOFF,
            )
        if status == 403:
            raise SymbolRejected(
                f"{symbol or path}: {said or 'no access'}",
                FinnhubAnswer.NO_ACCESS.value,
                backoff=NO_ACCESS_BACKOFF,
            )
        if status == 429:
            wait = retry_after(response, datetime.now(UTC))
            self._spacing.pause(wait.total_seconds())
            raise RateLimited(f"HTTP 429 from Finnhub ({said or 'rate limit'})", wait)
        if status in RETRY_STATUSES:
            raise Retryable(f"HTTP {status} from Finnhub")
        if status != 200:
            raise ProviderError(f"HTTP {status} from Finnhub{f' ({said})' if said else ''}")
        if body is None:
            kind = response.headers.get("Content-Type", "unknown type").split(";")[0]
            raise ProviderError(
                f"answer is not JSON ({redaction.redact(kind)[:40]}, {len(response.content)} bytes)"
            )
        if not isinstance(body, dict):
            raise ProviderError(f"answer is JSON {type(body).__name__}, not an object")
        return body


def _json_or_none(response: requests.Response) -> object | None:
    try:
        return response.json()
    except ValueError:
        return None
