"""What an Alpha Vantage answer means: its class, and the quote it carries.

Alpha Vantage answers HTTP 200 for everything, errors and rate limits included, so an answer is
classified by its JSON key first (``Note``, ``Information``, ``Error Message``, the payload key)
and by its wording second, since one key carries several meanings and the texts change over the
years. Every text taken from an answer is redacted before it goes anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from stockmon.domain.config import Entitlement
from stockmon.domain.data_class import DataClass
from stockmon.domain.redaction import brief, redact
from stockmon.domain.symbols import normalize_symbol
from stockmon.providers.base import (
    Listing,
    Paused,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    RateLimited,
    SymbolRejected,
)
from stockmon.providers.transport import field_text


class AnswerClass(StrEnum):
    QUOTE = "quote"
    MATCHES = "matches"
    SERIES = "daily series"
    PER_MINUTE_LIMIT = "per-minute limit"
    DAILY_LIMIT = "daily limit"
    BURST_LIMIT = "per-second burst"
    PREMIUM_ONLY = "premium endpoint"
    UNKNOWN_LIMIT = "unknown limit"
    INVALID_KEY = "invalid key"
    INVALID_SYMBOL = "invalid symbol"
    INVALID_CALL = "invalid call"
    EMPTY_QUOTE = "empty quote"
    MALFORMED = "malformed"


# How long the provider is left alone after each refusal.
REFUSAL_BACKOFF = {
    AnswerClass.PER_MINUTE_LIMIT: timedelta(minutes=1),
    AnswerClass.DAILY_LIMIT: timedelta(hours=1),
    AnswerClass.BURST_LIMIT: timedelta(seconds=2),
    AnswerClass.UNKNOWN_LIMIT: timedelta(minutes=5),
    AnswerClass.INVALID_KEY: timedelta(minutes=10),
}
PREMIUM_BACKOFF = timedelta(hours=24)
RATE_LIMITS = {
    AnswerClass.PER_MINUTE_LIMIT,
    AnswerClass.DAILY_LIMIT,
    AnswerClass.UNKNOWN_LIMIT,
}
MISSING_FROM_BULK_BACKOFF = timedelta(hours=24)
BULK_FUNCTION = "REALTIME_BULK_QUOTES"
SEARCH_FUNCTION = "SYMBOL_SEARCH"
DAILY_FUNCTION = "TIME_SERIES_DAILY"
DAILY_KEY = "Time Series (Daily)"
OVERVIEW_FUNCTION = "OVERVIEW"
EARNINGS_FUNCTION = "EARNINGS_CALENDAR"
OVERVIEW_FACTS = ("52WeekLow", "52WeekHigh", "Sector", "MarketCapitalization", "PERatio")
MESSAGE_KEYS = ("Note", "Information", "Error Message")
QUOTE_KEY = "Global Quote"  # also "Global Quote - DATA DELAYED BY 15 MINUTES" and the like
EASTERN = ZoneInfo("America/New_York")  # the zone of Alpha Vantage's timestamps

# What a quote is when the answer does not say otherwise: without an entitlement the quote
# endpoints are updated at the end of each trading day.
ENTITLED_CLASS = {
    Entitlement.NONE: DataClass.END_OF_DAY,
    Entitlement.REALTIME: DataClass.REAL_TIME,
    Entitlement.DELAYED: DataClass.DELAYED,
}


def quote_key(body: Mapping[str, Any]) -> str | None:
    """The key a GLOBAL_QUOTE answer carries its quote under, whatever its decoration."""
    return next((key for key in body if str(key).startswith(QUOTE_KEY)), None)


def data_class_of_answer(key: str, entitlement: Entitlement) -> DataClass:
    """The class of a GLOBAL_QUOTE answer: what its key says ("DATA DELAYED BY 15 MINUTES"),
    else what the entitlement asked for."""
    if "delayed" in key.lower():
        return DataClass.DELAYED
    return ENTITLED_CLASS[entitlement]


@dataclass(frozen=True)
class Answer:
    kind: AnswerClass
    text: str = ""  # the answer's own words, redacted and shortened


def _limit_class(key: str, wording: str) -> AnswerClass:
    """Which refusal a ``Note`` or ``Information`` text is, by its wording."""
    words = wording.lower()
    if "premium endpoint" in words:
        return AnswerClass.PREMIUM_ONLY
    if "per second" in words or "spreading out" in words or "burst" in words:
        return AnswerClass.BURST_LIMIT
    if "per minute" in words or "call frequency" in words:
        return AnswerClass.PER_MINUTE_LIMIT
    if "per day" in words or "daily" in words:
        return AnswerClass.DAILY_LIMIT
    return AnswerClass.PER_MINUTE_LIMIT if key == "Note" else AnswerClass.UNKNOWN_LIMIT


def classify(body: Mapping[str, Any], function: str = "GLOBAL_QUOTE") -> Answer:
    """The class of one answer of ``function`` (``GLOBAL_QUOTE``, ``REALTIME_BULK_QUOTES`` or
    ``SYMBOL_SEARCH``)."""
    for key in MESSAGE_KEYS:
        if key in body:
            text = brief(str(body[key]))
            if key != "Error Message":
                return Answer(_limit_class(key, text), text)
            lowered = text.lower()
            if "apikey" in lowered or "api key" in lowered:
                return Answer(AnswerClass.INVALID_KEY, text)
            # One symbol a request: the symbol is at fault. A bulk request's or a search's
            # error is about the request as a whole (its parameters, the plan).
            whole = function in (BULK_FUNCTION, SEARCH_FUNCTION, EARNINGS_FUNCTION)
            return Answer(AnswerClass.INVALID_CALL if whole else AnswerClass.INVALID_SYMBOL, text)
    if function == SEARCH_FUNCTION:
        if isinstance(body.get("bestMatches"), list):
            return Answer(AnswerClass.MATCHES)
        return Answer(AnswerClass.MALFORMED, "'bestMatches' is not a list")
    if function == OVERVIEW_FUNCTION:
        if not body:  # what OVERVIEW answers for a symbol it does not know
            return Answer(AnswerClass.INVALID_SYMBOL, "no overview")
        if any(key in body for key in OVERVIEW_FACTS):
            return Answer(AnswerClass.SERIES)
        return Answer(AnswerClass.MALFORMED, "no range or company fact in the overview")
    if function == DAILY_FUNCTION:
        if isinstance(body.get(DAILY_KEY), dict):
            return Answer(AnswerClass.SERIES)
        return Answer(AnswerClass.MALFORMED, f"{DAILY_KEY!r} is not an object")
    if function == BULK_FUNCTION:
        message = brief(str(body.get("message", "")))
        if "premium" in message.lower():  # a free key gets a notice and sample rows
            return Answer(AnswerClass.PREMIUM_ONLY, message)
        if message.lower() != "success" or not isinstance(body.get("data"), list):
            return Answer(AnswerClass.MALFORMED, f"bulk answer without quotes: {message!r}")
        return Answer(AnswerClass.QUOTE)
    quoted_under = quote_key(body)
    fields = body.get(quoted_under) if quoted_under else None
    if not isinstance(fields, dict):
        return Answer(AnswerClass.MALFORMED, "'Global Quote' is not an object")
    if not fields:
        return Answer(AnswerClass.EMPTY_QUOTE)
    return Answer(AnswerClass.QUOTE)


def raise_for_refusal(answer: Answer) -> None:
    """Raise for the classes that refuse the request rather than describe a symbol. A burst
    answer fails this request only (``Paused``): the next one, for the next symbol due, is
    sent after the pause."""
    if answer.kind is AnswerClass.BURST_LIMIT:
        raise Paused(
            f"the provider asked to slow down (per-second burst): {answer.text}",
            REFUSAL_BACKOFF[AnswerClass.BURST_LIMIT],
        )
    if answer.kind in RATE_LIMITS:
        raise RateLimited(
            f"rate limit ({answer.kind}): {answer.text}", REFUSAL_BACKOFF[answer.kind]
        )
    if answer.kind is AnswerClass.INVALID_KEY:
        raise ProviderUnavailable(
            "the API key was rejected (check ALPHA_VANTAGE_API_KEY)",
            REFUSAL_BACKOFF[AnswerClass.INVALID_KEY],
        )


def raise_for_burst(body: Mapping[str, Any]) -> None:
    """Raise ``Paused`` when ``body`` is a per-second burst answer, whatever was asked."""
    if (answer := classify(body)).kind is AnswerClass.BURST_LIMIT:
        raise_for_refusal(answer)


class FeatureUnavailable(ProviderUnavailable):
    """The plan does not include this endpoint: switch the feature off and tell the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message, PREMIUM_BACKOFF)


def _number(fields: Mapping[str, Any], key: str) -> float:
    raw = redact(str(fields.get(key)))[:40]
    try:
        value = float(raw.strip().rstrip("%"))
    except ValueError:
        raise ProviderError(f"field {key!r} is not a number: {raw!r}") from None
    if not math.isfinite(value):
        raise ProviderError(f"field {key!r} is not a finite number: {raw!r}")
    return value


def _day(raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        shown = redact(str(raw))[:40]
        raise ProviderError(f"latest trading day is not a date: {shown!r}") from None


def _eastern_time(raw: Any) -> datetime | None:
    """A bulk row's "2024-10-18 19:59:55.291" (US/Eastern); None when it has no time of day."""
    try:
        moment = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        return None
    if len(str(raw).strip()) <= 10:
        return None
    return moment.replace(tzinfo=moment.tzinfo or EASTERN)


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


def _quote(
    fields: Mapping[str, Any],
    names: Mapping[str, str],
    data_class: DataClass,
    market_time: datetime | None = None,
) -> QuoteData:
    """``QuoteData`` from one answer object whose keys are ``names``; every field is required."""
    if missing := [key for key in names.values() if key not in fields]:
        raise ProviderError(f"quote is missing {', '.join(missing)}")
    numbers: dict[str, Any] = {
        name: _number(fields, key)
        for name, key in names.items()
        if name not in ("symbol", "latest_trading_day")
    }
    if numbers["price"] <= 0:
        raise ProviderError(f"price is not positive: {numbers['price']}")
    return QuoteData(
        symbol=str(fields[names["symbol"]]).upper(),
        latest_trading_day=_day(fields[names["latest_trading_day"]]),
        data_class=data_class,
        market_time=market_time,
        **{**numbers, "volume": int(numbers["volume"])},
    )


def parse_global_quote(
    symbol: str, body: Mapping[str, Any], entitlement: Entitlement = Entitlement.NONE
) -> QuoteData:
    """The quote of a GLOBAL_QUOTE answer, or the exception its class calls for. The answer
    gives only the latest trading day, no time: the quote's market time stays unknown."""
    answer = classify(body)
    raise_for_refusal(answer)
    if answer.kind is AnswerClass.PREMIUM_ONLY:  # this listing needs a plan we do not have
        raise SymbolRejected(
            f"needs a premium plan: {answer.text}", "needs a premium plan", PREMIUM_BACKOFF
        )
    if answer.kind is AnswerClass.INVALID_SYMBOL:
        raise SymbolRejected(f"rejected: {answer.text}", "rejected by the provider")
    if answer.kind is AnswerClass.EMPTY_QUOTE:
        raise SymbolRejected(f"no quote for {symbol} (unknown symbol)", "unknown symbol")
    if answer.kind is AnswerClass.MALFORMED:
        raise ProviderError(answer.text)
    key = quote_key(body)
    assert key is not None  # classified as a quote
    quote = _quote(body[key], GLOBAL_QUOTE_FIELDS, data_class_of_answer(key, entitlement))
    if quote.symbol != symbol:
        raise ProviderError(f"asked for {symbol}, answer is for {redact(quote.symbol)[:20]!r}")
    return quote


def parse_bulk_quotes(
    symbols: list[str], body: Mapping[str, Any], entitlement: Entitlement = Entitlement.NONE
) -> dict[str, Any]:
    """Each asked symbol's quote or error from a REALTIME_BULK_QUOTES answer; each row's
    timestamp is its market time.

    Raises for refusals; a request-level error fails every symbol of the batch for now; a
    symbol absent from ``data`` is rejected for a day.
    """
    answer = classify(body, BULK_FUNCTION)
    raise_for_refusal(answer)
    if answer.kind is AnswerClass.PREMIUM_ONLY:
        raise FeatureUnavailable(f"needs a premium plan: {answer.text}")
    if answer.kind is not AnswerClass.QUOTE:
        failure = ProviderError(f"{answer.kind}: {answer.text}")
        return dict.fromkeys(symbols, failure)
    wanted = set(symbols)
    results: dict[str, Any] = {}
    for row in body["data"]:
        if not isinstance(row, dict) or str(row.get("symbol", "")).upper() not in wanted:
            continue
        symbol = str(row["symbol"]).upper()
        data_class = ENTITLED_CLASS[entitlement]
        try:
            results[symbol] = _quote(
                row, BULK_QUOTE_FIELDS, data_class, _eastern_time(row.get("timestamp"))
            )
        except ProviderError as error:
            results[symbol] = error
    for symbol in wanted - results.keys():
        results[symbol] = SymbolRejected(
            f"no quote for {symbol} in the bulk answer",
            "not in the bulk answer",
            MISSING_FROM_BULK_BACKOFF,
        )
    return results


def parse_symbol_search(body: Mapping[str, Any]) -> list[Listing]:
    """The listings of a SYMBOL_SEARCH answer, best first; matches whose symbol is not a
    ticker symbol are left out. Raises for refusals and garbled answers."""
    answer = classify(body, SEARCH_FUNCTION)
    raise_for_refusal(answer)
    if answer.kind is not AnswerClass.MATCHES:
        raise ProviderError(f"{answer.kind}: {answer.text}" if answer.text else str(answer.kind))
    listings = []
    for match in body["bestMatches"]:
        if not isinstance(match, dict):
            continue
        try:
            symbol = normalize_symbol(field_text(match, "1. symbol", 16))
        except ValueError:
            continue
        listings.append(
            Listing(
                symbol=symbol,
                name=field_text(match, "2. name", 200) or symbol,
                kind=field_text(match, "3. type", 32),
                region=field_text(match, "4. region", 64),
                currency=field_text(match, "8. currency", 8) or "USD",
                market_open=field_text(match, "5. marketOpen", 8),
                market_close=field_text(match, "6. marketClose", 8),
                timezone=field_text(match, "7. timezone", 16),
            )
        )
    return listings
