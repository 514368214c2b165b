"""Alpha Vantage client: GLOBAL_QUOTE (one symbol a request) or REALTIME_BULK_QUOTES (premium).

Every request that leaves the process passes the request gate first, at the transport: the
first try and each retry alike are recorded in the budget before they are sent, and a gate that
says no stops them. Retries are few and only for answers that never reached a verdict (HTTP 5xx,
a dropped connection). HTTP 429 is a rate limit that honours ``Retry-After``. What each answer
means is decided in ``answers``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from stockmon.domain import redaction
from stockmon.domain.config import Entitlement
from stockmon.domain.data_class import DataClass
from stockmon.domain.earnings import EarningsDate
from stockmon.providers.answers import (
    BULK_FUNCTION,
    DAILY_FUNCTION,
    EARNINGS_FUNCTION,
    ENTITLED_CLASS,
    OVERVIEW_FUNCTION,
    SEARCH_FUNCTION,
    FeatureUnavailable,
    classify,
    parse_bulk_quotes,
    parse_global_quote,
    parse_symbol_search,
    raise_for_burst,
    raise_for_refusal,
)
from stockmon.providers.base import (
    BatchRefused,
    DailyBarData,
    FetchResult,
    Listing,
    ListingFacts,
    Paused,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RequestGate,
    no_gate,
)
from stockmon.providers.earnings_answers import parse_alpha_vantage
from stockmon.providers.series import parse_daily_series, parse_facts
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

log = logging.getLogger(__name__)

BULK_MAX_SYMBOLS = 100
EARNINGS_HORIZON = "3month"  # ``earnings.HORIZON`` in Alpha Vantage's words
QUOTE_FUNCTION = "GLOBAL_QUOTE"


class AlphaVantageProvider:
    name = "alphavantage"
    rate_limited = True

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        gate: RequestGate = no_gate,
        timeout: float = 10.0,
        entitlement: Entitlement = Entitlement.NONE,
        daily_cap: bool = True,
        bulk: bool = False,
        min_request_interval: float = 1.0,
        retries: int = 1,
        retry_wait: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._key = api_key
        self._base_url = base_url
        self._timeout = timeout
        self._entitlement = entitlement
        self._daily_cap = daily_cap
        self._bulk = bulk
        self._retries = retries
        self._retry_wait = timedelta(seconds=retry_wait)
        self._sleep = sleep
        self._spacing = Spacing(min_request_interval, sleep, monotonic)
        self._session = gated_session(gate)
        redaction.add_secret(api_key)

    @property
    def batch_size(self) -> int:
        return BULK_MAX_SYMBOLS if self._bulk else 1

    @property
    def plan(self) -> str:
        """A key with an entitlement or without a daily cap is a premium one."""
        if self._entitlement is Entitlement.NONE and self._daily_cap:
            return "free plan"
        return "premium plan"

    @property
    def data_class(self) -> DataClass:
        return ENTITLED_CLASS[self._entitlement]

    def _quote_arguments(self, **arguments: str) -> dict[str, str]:
        """A quote request's parameters: the entitlement goes with every one that has it."""
        if self._entitlement is not Entitlement.NONE:
            arguments["entitlement"] = self._entitlement.value
        return arguments

    def close(self) -> None:
        self._session.close()

    def fetch(self, symbols: Sequence[str]) -> dict[str, FetchResult]:
        if self._bulk:
            return self._fetch_bulk(symbols)
        if len(symbols) != 1:
            raise BatchRefused(f"{QUOTE_FUNCTION} takes one symbol a request")
        symbol = symbols[0]
        try:
            answer = self._get(QUOTE_FUNCTION, **self._quote_arguments(symbol=symbol))
            return {symbol: parse_global_quote(symbol, answer, self._entitlement)}
        except ProviderUnavailable:
            raise
        except ProviderError as error:
            return {symbol: error}

    def _fetch_bulk(self, symbols: Sequence[str]) -> dict[str, FetchResult]:
        try:
            answer = self._get(BULK_FUNCTION, **self._quote_arguments(symbol=",".join(symbols)))
            return parse_bulk_quotes(list(symbols), answer, self._entitlement)
        except FeatureUnavailable as refusal:
            # The plan has no bulk quotes: go on one symbol a request, and say so once.
            self._bulk = False
            log.warning(
                "%s %s; switched to %s. Set ALPHA_VANTAGE_BULK_QUOTES=false to silence this.",
                BULK_FUNCTION,
                refusal,
                QUOTE_FUNCTION,
            )
            raise BatchRefused("bulk quotes are not on this plan: one symbol a request") from None
        except ProviderUnavailable:
            raise
        except ProviderError as error:
            return dict.fromkeys(symbols, error)

    def daily_history(self, symbol: str) -> list[DailyBarData]:
        answer = self._get(DAILY_FUNCTION, symbol=symbol, outputsize="compact")
        return parse_daily_series(symbol, answer)

    def facts(self, symbol: str) -> ListingFacts:
        return parse_facts(symbol, self._get(OVERVIEW_FUNCTION, symbol=symbol))

    def search(self, keywords: str) -> list[Listing]:
        return parse_symbol_search(self._get(SEARCH_FUNCTION, keywords=keywords))

    def _get(self, function: str, **arguments: str) -> dict[str, Any]:
        """One answer's JSON object, after at most ``retries`` gated retries."""
        params = {"function": function, **arguments, "apikey": self._key}
        return with_retries(
            lambda: self._get_once(params), self._retries, self._retry_wait, self._sleep
        )

    def earnings(self, symbols: Sequence[str]) -> list[EarningsDate]:
        """Every company's next report within 3 months comes in one CSV answer; only
        ``symbols`` are kept."""
        params = {"function": EARNINGS_FUNCTION, "horizon": EARNINGS_HORIZON, "apikey": self._key}
        text = with_retries(
            lambda: self._calendar_once(params), self._retries, self._retry_wait, self._sleep
        )
        return parse_alpha_vantage(text, symbols, datetime.now(UTC))

    def _calendar_once(self, params: dict[str, str]) -> str:
        """The calendar's CSV text. A refusal comes as JSON, as it does for every function."""
        response = self._response(params)
        text = response.content.decode("utf-8", errors="replace")
        if not text.lstrip().startswith("{"):
            return text
        answer = classify(self._unless_burst(json_object(response)), EARNINGS_FUNCTION)
        raise_for_refusal(answer)
        raise ProviderError(f"earnings calendar: {answer.kind} {answer.text}".strip())

    def _get_once(self, params: dict[str, str]) -> dict[str, Any]:
        """One answer's JSON object, classified far enough to raise ``Paused`` for a burst
        answer whatever the function."""
        return self._unless_burst(json_object(self._response(params)))

    def _unless_burst(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body``, unless it is a burst answer: then whichever request comes next waits out
        the pause."""
        try:
            raise_for_burst(body)
        except Paused as pause:
            self._spacing.pause(pause.pause.total_seconds())
            raise
        return body

    def _response(self, params: dict[str, str]) -> requests.Response:
        """An HTTP 200 answer, or the failure its status means."""
        response = get(self._session, self._spacing, self._base_url, params, self._timeout)
        if response.status_code == 429:
            raise RateLimited(
                "HTTP 429 Too Many Requests", retry_after(response, datetime.now(UTC))
            )
        if response.status_code in RETRY_STATUSES:
            raise Retryable(f"HTTP {response.status_code} from the quote server")
        if response.status_code != 200:
            raise ProviderError(f"HTTP {response.status_code} from the quote server")
        return response
