"""What every quote provider returns and the failures the refresh cycle tells apart."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, runtime_checkable

from stockmon.domain.catalog import Listing
from stockmon.domain.data_class import DataClass
from stockmon.domain.earnings import EarningsDate


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
    data_class: DataClass  # decided by the provider from its plan and the answer
    market_time: datetime | None  # when the price was made; None: the provider gives only the day


@dataclass(frozen=True)
class DailyBarData:
    """One trading day of a symbol's history as a provider reported it."""

    day: date
    open: float
    high: float
    low: float
    close: float
    volume: int | None


@dataclass(frozen=True)
class ListingProfile:
    """What a provider says about a listing a search found: how the catalog names it."""

    name: str
    currency: str
    exchange: str
    region: str


@dataclass(frozen=True)
class ListingFacts:
    """What a provider says about a listing besides its price, fetched at most daily: its
    52-week range and the company facts it gives (each None or "" when it gives none)."""

    year_low: float | None = None
    year_high: float | None = None
    sector: str = ""
    market_cap: float | None = None  # in the listing's currency
    pe_ratio: float | None = None

    @property
    def year_range(self) -> tuple[float, float] | None:
        if self.year_low is None or self.year_high is None:
            return None
        return self.year_low, self.year_high


class ProviderError(Exception):
    """A symbol's fetch failed for a passing reason (network, 5xx, garbled body): try next cycle."""


class SymbolRejected(ProviderError):
    """The provider says this symbol has no quote (unknown or invalid): back off the symbol.

    ``reason`` is the few words a person reads beside the symbol ("unknown symbol");
    ``backoff`` overrides the usual growing back-off (a symbol missing from a bulk answer waits
    a day).
    """

    def __init__(self, message: str, reason: str, backoff: timedelta | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.backoff = backoff


class Paused(ProviderError):
    """The provider asked for a short pause (a per-second burst answer): this request failed
    and counts as its symbol's attempt; the provider waits ``pause`` before its next request,
    whichever symbol that is for."""

    def __init__(self, message: str, pause: timedelta) -> None:
        super().__init__(message)
        self.pause = pause


class BatchRefused(ProviderError):
    """The provider no longer takes batches of this size (bulk quotes are not on the plan):
    nothing was learnt about the batch's symbols; send them again at the new ``batch_size``."""


class ProviderUnavailable(ProviderError):
    """The provider refuses every request for a while (rate limit, bad key): stop the cycle."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(ProviderUnavailable):
    """A rate-limit answer: no more requests until ``retry_after`` has passed."""


class BudgetExhausted(Exception):
    """Raised by a request gate: sending one more request would break a limit or a lease."""


FetchResult = QuoteData | ProviderError

RequestGate = Callable[[], None]
"""Called before every HTTP request leaves the process, retries included; it records the
request in the budget, or raises ``BudgetExhausted`` (or ``LeadershipLost``) to stop it."""


def no_gate() -> None:
    """The gate of a provider that nobody budgets (tests, one-off tools)."""


class StoredQuote(Protocol):
    """A quote as the database keeps it: what a restarted demo market resumes from."""

    symbol: str
    price: float
    open: float | None
    high: float | None
    low: float | None
    previous_close: float | None
    volume: int | None
    latest_trading_day: date | None
    fetched_at: datetime


class QuoteProvider(Protocol):
    name: str
    rate_limited: bool  # True: every request counts against the configured budget

    @property
    def batch_size(self) -> int:
        """Symbols one request can carry, now (a plan without bulk quotes turns it to 1)."""
        ...

    @property
    def plan(self) -> str:
        """The plan in a person's words: "free plan", "premium plan"."""
        ...

    @property
    def data_class(self) -> DataClass:
        """What the plan's quotes are, before any answer says otherwise."""
        ...

    def fetch(self, symbols: Sequence[str]) -> Mapping[str, FetchResult]:
        """Quotes or per-symbol errors for at most ``batch_size`` symbols, in one request.

        Raises ``ProviderUnavailable`` when the whole provider refuses service, ``BatchRefused``
        when the batch size has just changed.
        """
        ...

    def facts(self, symbol: str) -> ListingFacts:
        """The symbol's 52-week range and company facts, in one request.

        Raises ``SymbolRejected`` for a symbol the provider tells nothing of,
        ``ProviderUnavailable`` for a refusal of service, ``ProviderError`` otherwise.
        """
        ...

    def search(self, keywords: str) -> list[Listing]:
        """Listings whose symbol or name matches ``keywords``, best first, in one request.

        Raises ``ProviderError`` (``ProviderUnavailable`` for a refusal of service).
        """
        ...


@runtime_checkable
class HistoryProvider(Protocol):
    """A provider that has daily bars (Finnhub's free plan has none)."""

    name: str

    def daily_history(self, symbol: str) -> list[DailyBarData]:
        """The symbol's daily bars, oldest first, in one request.

        Raises ``SymbolRejected`` for a symbol with no history, ``ProviderUnavailable`` for a
        refusal of service, ``ProviderError`` otherwise.
        """
        ...

    def facts(self, symbol: str) -> ListingFacts:
        """As ``QuoteProvider.facts``."""
        ...


@runtime_checkable
class ProfileProvider(Protocol):
    """A provider whose search answers lack a listing's currency and exchange, and that tells
    them one listing at a time (Finnhub's ``/stock/profile2``)."""

    name: str

    def profile(self, symbol: str) -> ListingProfile:
        """The listing's name, currency and exchange, in one request.

        Raises ``SymbolRejected`` for a listing with no profile, ``ProviderUnavailable`` for a
        refusal of service, ``ProviderError`` otherwise.
        """
        ...


@runtime_checkable
class EarningsProvider(Protocol):
    """A provider with an earnings calendar."""

    name: str

    def earnings(self, symbols: Sequence[str]) -> list[EarningsDate]:
        """The next report of each of ``symbols`` that the calendar holds within
        ``earnings.HORIZON``, earliest first, in one request.

        Raises ``ProviderUnavailable`` for a refusal of service, ``ProviderError`` otherwise.
        """
        ...
