"""What a Finnhub answer means: its class, and the quote or facts it carries.

Finnhub answers with HTTP statuses (401 key, 403 plan, 429 limit) and JSON bodies; an unknown
symbol is HTTP 200 with every number zero. Every text taken from an answer is redacted before
it goes anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from stockmon.domain.calendar import is_us_listing
from stockmon.domain.data_class import DataClass
from stockmon.domain.redaction import brief, redact
from stockmon.domain.symbols import normalize_symbol
from stockmon.providers.base import (
    Listing,
    ListingFacts,
    ListingProfile,
    ProviderError,
    QuoteData,
    SymbolRejected,
)
from stockmon.providers.transport import field_text


class FinnhubAnswer(StrEnum):
    QUOTE = "quote"
    UNKNOWN_SYMBOL = "unknown symbol"  # HTTP 200, every number zero
    INVALID_KEY = "invalid key"  # HTTP 401
    NO_ACCESS = "not on this plan"  # HTTP 403
    RATE_LIMIT = "rate limit"  # HTTP 429
    SERVER_ERROR = "server error"  # HTTP 5xx
    MALFORMED = "malformed"  # not JSON, not an object, fields missing or not numbers


NO_ACCESS_BACKOFF = timedelta(hours=24)
INVALID_KEY_BACKOFF = timedelta(minutes=10)
US_MARKET_ZONE = ZoneInfo("America/New_York")  # the free plan's market; quotes' days are its
REQUIRED_QUOTE_FIELDS = ("c", "t")


def error_text(body: object) -> str:
    """The ``error`` words of a refusal, redacted and short ("" when there are none)."""
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        return brief(body["error"], 120)
    return ""


def _number(fields: Mapping[str, Any], key: str) -> float | None:
    """A numeric field; None when absent or null; raises for anything else."""
    raw = fields.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ProviderError(f"field {key!r} is not a number: {redact(str(raw))[:40]!r}")
    if not math.isfinite(raw):
        raise ProviderError(f"field {key!r} is not a finite number")
    return float(raw)


def _positive(fields: Mapping[str, Any], key: str) -> float | None:
    """A price field: Finnhub writes 0 for a value it does not have."""
    value = _number(fields, key)
    return value if value is not None and value > 0 else None


def classify_quote(body: Mapping[str, Any]) -> FinnhubAnswer:
    """The class of a ``/quote`` answer that came back HTTP 200 as a JSON object."""
    if all(not body.get(key) for key in ("c", "h", "l", "o", "pc", "t")):
        return FinnhubAnswer.UNKNOWN_SYMBOL
    return FinnhubAnswer.QUOTE


def parse_quote(symbol: str, body: Mapping[str, Any]) -> QuoteData:
    """The quote of a ``/quote`` answer (HTTP 200, a JSON object), or the exception its class
    calls for. ``t`` is the market time of the price."""
    if classify_quote(body) is FinnhubAnswer.UNKNOWN_SYMBOL:
        raise SymbolRejected(f"{symbol}: Finnhub has no quote for it", "unknown symbol")
    if missing := [key for key in REQUIRED_QUOTE_FIELDS if key not in body]:
        raise ProviderError(f"quote is missing {', '.join(missing)}")
    price = _number(body, "c")
    if price is None or price <= 0:
        raise ProviderError(f"quote has no usable price ({price!r})")
    market_seconds = _number(body, "t")
    if market_seconds is None or market_seconds <= 0:
        raise ProviderError("quote has no market time")
    market_time = datetime.fromtimestamp(market_seconds, UTC)
    previous = _positive(body, "pc")
    change = _number(body, "d")
    change_percent = _number(body, "dp")
    if previous is not None and change is None:
        change = price - previous
    if previous is not None and change_percent is None:
        change_percent = (price - previous) / previous * 100
    return QuoteData(
        symbol=symbol,
        price=price,
        open=_positive(body, "o"),
        high=_positive(body, "h"),
        low=_positive(body, "l"),
        previous_close=previous,
        change=change,
        change_percent=change_percent,
        volume=None,  # /quote carries no volume
        latest_trading_day=market_time.astimezone(US_MARKET_ZONE).date(),
        data_class=DataClass.REAL_TIME,
        market_time=market_time,
    )


def parse_search(body: Mapping[str, Any]) -> list[Listing]:
    """The listings of a ``/search`` answer, best first; results whose symbol is not a ticker
    symbol are left out. US listings (no exchange suffix) are in dollars on New York's hours."""
    results = body.get("result")
    if not isinstance(results, list):
        raise ProviderError("search answer has no result list")
    listings = []
    for result in results:
        if not isinstance(result, Mapping):
            continue
        try:
            symbol = normalize_symbol(field_text(result, "symbol", 16))
        except ValueError:
            continue
        us = is_us_listing(symbol)
        listings.append(
            Listing(
                symbol=symbol,
                name=field_text(result, "description", 200) or symbol,
                kind=field_text(result, "type", 32),
                region="United States" if us else "",
                currency="USD" if us else "",
                market_open="09:30" if us else "",
                market_close="16:00" if us else "",
                timezone="UTC-05" if us else "",
            )
        )
    return listings


def _fact(metric: Mapping[str, Any], key: str) -> float | None:
    """A metric that is a positive number, else None: facts are shown, never relied on."""
    try:
        return _positive(metric, key)
    except ProviderError:
        return None


def parse_facts(symbol: str, body: Mapping[str, Any]) -> ListingFacts:
    """The 52-week range, market capitalisation (Finnhub gives millions) and P/E of a
    ``/stock/metric`` answer; an impossible range is left out."""
    metric = body.get("metric")
    if not isinstance(metric, Mapping):
        raise SymbolRejected(f"{symbol}: no metrics", "no 52-week range")
    low, high = _fact(metric, "52WeekLow"), _fact(metric, "52WeekHigh")
    if low is None or high is None or low > high:
        low = high = None
    millions = _fact(metric, "marketCapitalization")
    facts = ListingFacts(
        low,
        high,
        market_cap=None if millions is None else millions * 1e6,
        pe_ratio=_fact(metric, "peTTM") or _fact(metric, "peBasicExclExtraTTM"),
    )
    if facts == ListingFacts():
        raise SymbolRejected(f"{symbol}: nothing usable in its metrics", "no 52-week range")
    return facts


def parse_profile(symbol: str, body: Mapping[str, Any]) -> ListingProfile:
    """The name, currency and exchange of a ``/stock/profile2`` answer (``{}`` for a listing
    Finnhub has no profile of)."""
    currency = field_text(body, "currency", 8).upper()
    name = field_text(body, "name", 200)
    if not name or not currency.isalpha():
        raise SymbolRejected(f"{symbol}: Finnhub has no profile of it", "no profile")
    return ListingProfile(
        name=name,
        currency=currency,
        exchange=field_text(body, "exchange", 32),
        region=field_text(body, "country", 64),
    )
