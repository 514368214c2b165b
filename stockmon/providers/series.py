"""A symbol's history from Alpha Vantage: its daily bars (``TIME_SERIES_DAILY``) and its
52-week range (``OVERVIEW``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from stockmon.providers.answers import (
    DAILY_FUNCTION,
    DAILY_KEY,
    OVERVIEW_FUNCTION,
    AnswerClass,
    classify,
    raise_for_refusal,
)
from stockmon.providers.base import DailyBarData, ListingFacts, ProviderError, SymbolRejected
from stockmon.providers.transport import field_text


def _bar(day: str, fields: Any) -> DailyBarData | None:
    """One day's bar, or None when it is garbled (bad date, missing or impossible prices)."""
    if not isinstance(fields, Mapping):
        return None
    try:
        values = [float(fields[key]) for key in ("1. open", "2. high", "3. low", "4. close")]
        volume = int(float(fields.get("5. volume", "nan"))) if "5. volume" in fields else None
        when = date.fromisoformat(day)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    open_, high, low, close = values
    if not all(math.isfinite(v) and v > 0 for v in values) or not low <= min(open_, close):
        return None
    if high < max(open_, close):
        return None
    return DailyBarData(when, open_, high, low, close, volume)


def _check(body: Mapping[str, Any], function: str, what: str) -> None:
    """Raise unless ``body`` is ``function``'s payload: for a refusal, for a symbol the
    provider does not know (``SymbolRejected``), for anything else."""
    answer = classify(body, function)
    raise_for_refusal(answer)
    if answer.kind is AnswerClass.INVALID_SYMBOL:
        raise SymbolRejected(f"no {what}: {answer.text}", "rejected by the provider")
    if answer.kind is not AnswerClass.SERIES:
        raise ProviderError(f"{what}: {answer.kind} {answer.text}".strip())


def parse_daily_series(symbol: str, body: Mapping[str, Any]) -> list[DailyBarData]:
    """The bars of a ``TIME_SERIES_DAILY`` answer, oldest first; garbled days are left out.
    Raises for refusals, for a symbol the provider does not know, and for a body without
    one usable day."""
    _check(body, DAILY_FUNCTION, f"daily history of {symbol}")
    bars = [bar for day, fields in body[DAILY_KEY].items() if (bar := _bar(day, fields))]
    if not bars:
        raise ProviderError(f"daily history of {symbol} holds no usable day")
    return sorted(bars, key=lambda bar: bar.day)


def _positive(body: Mapping[str, Any], key: str) -> float | None:
    """A number ``OVERVIEW`` writes as text; None for "None", "-", garbage or not above 0."""
    try:
        value = float(body.get(key, ""))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def parse_facts(symbol: str, body: Mapping[str, Any]) -> ListingFacts:
    """The 52-week range, sector, market capitalisation and P/E of an ``OVERVIEW`` answer.
    Raises for refusals, for a symbol the provider does not know, and for an answer with
    none of them; an impossible range is left out."""
    _check(body, OVERVIEW_FUNCTION, f"facts of {symbol}")
    low, high = _positive(body, "52WeekLow"), _positive(body, "52WeekHigh")
    if low is None or high is None or low > high:
        low = high = None
    sector = field_text(body, "Sector", 64)
    facts = ListingFacts(
        low, high, "" if sector == "None" else sector,
        _positive(body, "MarketCapitalization"), _positive(body, "PERatio"),
    )  # fmt: skip
    if facts == ListingFacts():
        raise ProviderError(f"the overview of {symbol} holds no usable fact")
    return facts
