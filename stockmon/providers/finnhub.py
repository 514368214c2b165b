"""Finnhub client: ``/quote`` (one symbol a request, real-time), ``/search``, ``/stock/profile2``
for a found listing's currency and exchange, and ``/stock/metric`` for the 52-week range. The
free plan has no daily bars (``/stock/candle`` is premium), so this provider offers no daily
history.

Requests carry the key in the ``X-Finnhub-Token`` header, never in their URL, and go through
the gated transport like Alpha Vantage's: each try is recorded in the budget before it leaves.
HTTP 5xx and dropped connections get ``retries`` more gated tries; 429 is a rate limit that
honours any wait the answer names. What each answer means is decided in ``finnhub_answers``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import requests

from stockmon.domain import redaction
from stockmon.domain.data_class import DataClass
from stockmon.domain.earnings import HORIZON, EarningsDate, today
from stockmon.providers.base import (
    BatchRefused,
    FetchResult,
    Listing,
    ListingFacts,
    ListingProfile,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RequestGate,
    SymbolRejected,
    no_gate,
)
from stockmon.providers.earnings_answers import parse_finnhub
from stockmon.providers.finnhub_answers import (
    INVALID_KEY_BACKOFF,
    NO_ACCESS_BACKOFF,
    FinnhubAnswer,
    error_text,
    parse_facts,
    parse_profile,
    parse_quote,
    parse_search,
)
from stockmon.providers.transport import (
    RETRY_STATUSES,
    Retryable,
    Spacing,
    gated_session,
    get,
    json_object,
    retry_after,
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

    def facts(self, symbol: str) -> ListingFacts:
        return parse_facts(symbol, self._get("/stock/metric", symbol=symbol, metric="all"))

    def earnings(self, symbols: Sequence[str]) -> list[EarningsDate]:
        """Every company's report within the horizon comes in one answer; only ``symbols``
        are kept."""
        now = datetime.now(UTC)
        start = today(now)
        answer = self._get("/calendar/earnings", **{"from": f"{start}", "to": f"{start + HORIZON}"})
        return parse_finnhub(answer, symbols, now)

    def profile(self, symbol: str) -> ListingProfile:
        return parse_profile(symbol, self._get("/stock/profile2", symbol=symbol))

    def search(self, keywords: str) -> list[Listing]:
        return parse_search(self._get("/search", q=keywords))

    def _get(self, path: str, **params: str) -> dict[str, Any]:
        """One answer's JSON object, after at most ``retries`` gated retries."""
        return with_retries(
            lambda: self._send(path, params), self._retries, self._retry_wait, self._sleep
        )

    def _send(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = self._base_url + path
        response = get(self._session, self._spacing, url, params, self._timeout)
        if response.status_code != 200:
            self._refuse(response, params.get("symbol") or path)
        return json_object(response)

    def _refuse(self, response: requests.Response, subject: str) -> NoReturn:
        """Raise what an answer other than HTTP 200 calls for."""
        status = response.status_code
        try:
            said = error_text(response.json())
        except ValueError:
            said = ""
        if status == 401:
            raise ProviderUnavailable(
                f"Finnhub refused the API key ({FinnhubAnswer.INVALID_KEY}: {said})",
                INVALID_KEY_BACKOFF,
            )
        if status == 403:
            raise SymbolRejected(
                f"{subject}: {said or 'no access'}",
                FinnhubAnswer.NO_ACCESS.value,
                backoff=NO_ACCESS_BACKOFF,
            )
        if status == 429:
            wait = retry_after(response, datetime.now(UTC))
            self._spacing.pause(wait.total_seconds())
            raise RateLimited(f"HTTP 429 from Finnhub ({said or 'rate limit'})", wait)
        if status in RETRY_STATUSES:
            raise Retryable(f"HTTP {status} from Finnhub")
        raise ProviderError(f"HTTP {status} from Finnhub{f' ({said})' if said else ''}")
