"""What every quote provider returns and the failures the refresh cycle tells apart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol


@dataclass(frozen=True)
class QuoteData:
    """One symbol's quote as a provider reported it."""

    symbol: str
    price: float
    open: float | None
    high: float | None
    low: float | None
    previous_close: float | None
    change: float | None
    change_percent: float | None  # 1.23 means 1.23 %
    volume: int | None
    latest_trading_day: date | None


class ProviderError(Exception):
    """A symbol's fetch failed for a passing reason (network, 5xx, garbled body): try next cycle."""


class SymbolRejected(ProviderError):
    """The provider says this symbol has no quote (unknown or invalid): back off the symbol."""


class ProviderUnavailable(ProviderError):
    """The provider refuses every request for a while (rate limit, bad key): stop the cycle."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(ProviderUnavailable):
    """A rate-limit answer: no more requests until ``retry_after`` has passed."""


FetchResult = QuoteData | ProviderError


class QuoteProvider(Protocol):
    name: str
    rate_limited: bool  # True: every request counts against the configured budget
    batch_size: int  # symbols one request can carry

    def fetch(self, symbols: Sequence[str]) -> Mapping[str, FetchResult]:
        """Quotes or per-symbol errors for at most ``batch_size`` symbols, in one request.

        Raises ``ProviderUnavailable`` when the whole provider refuses service.
        """
        ...
