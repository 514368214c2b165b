"""One refresh cycle: pick the due symbols, spend the budget on them, store what came back."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Row, select

from stockmon.budget import Limits, RequestBudget
from stockmon.config import SYMBOL_PATTERN, ProviderChoice, Settings
from stockmon.db import insert_ignoring_duplicates, upsert
from stockmon.models import (
    FetchStatus,
    PriceHistory,
    Quote,
    SchedulerState,
    WatchlistItem,
    utcnow,
)
from stockmon.providers.alphavantage import BULK_MAX_SYMBOLS
from stockmon.providers.base import (
    FetchResult,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    QuoteProvider,
    SymbolRejected,
)

log = logging.getLogger(__name__)

DEFAULT_SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "AMD", "NFLX", "DIS")
FLUSH_EVERY_RESULTS = 500
FLUSH_EVERY_SECONDS = 2.0
REJECTED_BACKOFF = (timedelta(minutes=15), timedelta(hours=24))  # first, longest
FAILED_BACKOFF = (timedelta(minutes=1), timedelta(minutes=30))
_EPOCH = datetime.min.replace(tzinfo=UTC)
# scheduler_state keys the app reads
LAST_CYCLE_AT = "scheduler.last_cycle_at"
LAST_CYCLE_SUMMARY = "scheduler.last_cycle_summary"
PROVIDER_NAME = "scheduler.provider"


def symbols_to_track(engine: Engine, configured: Sequence[str]) -> list[str]:
    """``configured`` symbols, then every user's picks, deduplicated; a default list when empty."""
    with engine.connect() as conn:
        picked = conn.execute(
            select(WatchlistItem.symbol).distinct().order_by(WatchlistItem.symbol)
        ).scalars()
        symbols = [s for s in dict.fromkeys([*configured, *picked]) if SYMBOL_PATTERN.match(s)]
    return symbols or list(DEFAULT_SYMBOLS)


def requests_per_round(symbol_count: int, batch_size: int) -> int:
    """Requests needed to refresh every symbol once."""
    return math.ceil(symbol_count / batch_size)


def expected_refresh_interval(engine: Engine, settings: Settings) -> timedelta:
    """How often each tracked symbol gets a new quote: the scheduler's interval, or the longer
    one the rate limits force on it (see ``Limits.refresh_interval``)."""
    interval = timedelta(seconds=settings.refresh_seconds)
    if settings.effective_provider is ProviderChoice.DEMO:
        return interval
    limits = Limits.from_settings(settings)
    batch = BULK_MAX_SYMBOLS if settings.alpha_vantage_bulk_quotes else 1
    requests = requests_per_round(len(symbols_to_track(engine, settings.symbols)), batch)
    return max(interval, limits.refresh_interval(requests))


def _backoff(failures: int, bounds: tuple[timedelta, timedelta]) -> timedelta:
    first, longest = bounds
    return min(first * 2 ** min(failures - 1, 20), longest)


@dataclass
class CycleSummary:
    tracked: int = 0
    fetched: int = 0
    failed: int = 0
    skipped_for_budget: int = 0
    not_due: int = 0
    backing_off: int = 0
    budget_left: int | None = None  # None: the provider has no budget
    blocked_until: datetime | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def log_line(self) -> str:
        budget = "unlimited" if self.budget_left is None else str(self.budget_left)
        line = (
            f"cycle: {self.fetched} fetched, {self.failed} failed, "
            f"{self.skipped_for_budget} skipped for budget, {self.not_due} not due, "
            f"{self.backing_off} backing off, of {self.tracked} tracked; budget left {budget}"
        )
        if self.blocked_until is not None:
            line += f"; provider blocked until {self.blocked_until:%Y-%m-%d %H:%M:%S} UTC"
        return line


class ResultWriter:
    """Buffers results and writes them in batched transactions."""

    def __init__(self, engine: Engine, statuses: dict[str, Row]) -> None:
        self.engine = engine
        self._statuses = statuses
        self._quotes: list[dict] = []
        self._history: list[dict] = []
        self._status_rows: list[dict] = []
        self._last_flush = time.monotonic()

    def add(self, symbol: str, result: FetchResult, attempted_at: datetime) -> None:
        previous = self._statuses.get(symbol)
        status = {
            "symbol": symbol,
            "last_attempt_at": attempted_at,
            "last_success_at": previous.last_success_at if previous else None,
            "last_error": None,
            "consecutive_failures": 0,
            "retry_after": None,
        }
        if isinstance(result, QuoteData):
            self._quotes.append({**vars(result), "fetched_at": attempted_at})
            self._history.append(
                {
                    "symbol": symbol,
                    "ts": attempted_at,
                    "price": result.price,
                    "volume": result.volume,
                }
            )
            status["last_success_at"] = attempted_at
        else:
            failures = (previous.consecutive_failures if previous else 0) + 1
            bounds = REJECTED_BACKOFF if isinstance(result, SymbolRejected) else FAILED_BACKOFF
            status.update(
                last_error=str(result)[:500],
                consecutive_failures=failures,
                retry_after=attempted_at + _backoff(failures, bounds),
            )
        self._status_rows.append(status)
        if (
            len(self._status_rows) >= FLUSH_EVERY_RESULTS
            or time.monotonic() - self._last_flush >= FLUSH_EVERY_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        if self._status_rows:
            with self.engine.begin() as conn:
                upsert(conn, Quote.__table__, self._quotes, keys=["symbol"])
                insert_ignoring_duplicates(conn, PriceHistory.__table__, self._history)
                upsert(conn, FetchStatus.__table__, self._status_rows, keys=["symbol"])
        self._quotes, self._history, self._status_rows = [], [], []
        self._last_flush = time.monotonic()


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Refresher:
    """Runs refresh cycles of one provider into one database."""

    def __init__(
        self,
        engine: Engine,
        provider: QuoteProvider,
        limits: Limits,
        configured_symbols: Sequence[str] = (),
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self._provider = provider
        self._configured = tuple(configured_symbols)
        self._now = now
        self.budget = RequestBudget(engine, provider.name, limits)

    def run_cycle(self, pace: bool = True) -> CycleSummary:
        """Refresh the due symbols, stalest first, within the budget.

        ``pace=False`` ignores the even-spread schedule and refreshes every symbol the budget
        allows right now (``scheduler.py --once``).
        """
        now = self._now()
        symbols = symbols_to_track(self.engine, self._configured)
        statuses = self._load_statuses(symbols)
        summary = CycleSummary(tracked=len(symbols))
        interval = (
            self.budget.limits.refresh_interval(
                requests_per_round(len(symbols), self._provider.batch_size)
            )
            if pace and self._provider.rate_limited
            else None
        )
        due = []
        for symbol in symbols:
            status = statuses.get(symbol)
            if status and status.retry_after and status.retry_after > now:
                summary.backing_off += 1
            elif (
                interval
                and status
                and status.last_success_at
                and (now - status.last_success_at < interval)
            ):
                summary.not_due += 1
            else:
                due.append(symbol)
        due.sort(key=lambda s: (getattr(statuses.get(s), "last_success_at", None) or _EPOCH, s))

        batch_size = self._provider.batch_size
        if self._provider.rate_limited:
            self.budget.prune(now)
            allowed_requests = self.budget.remaining(now)
            to_fetch = due[: allowed_requests * batch_size]
            summary.skipped_for_budget = len(due) - len(to_fetch)
        else:
            to_fetch = due

        writer = ResultWriter(self.engine, statuses)
        for position, batch in enumerate(_chunks(to_fetch, batch_size)):
            try:
                if self._provider.rate_limited:
                    self.budget.spend(self._now())
                results = self._provider.fetch(batch)
            except ProviderUnavailable as refusal:
                summary.blocked_until = self._now() + refusal.retry_after
                self.budget.block(summary.blocked_until, now)
                summary.skipped_for_budget += len(to_fetch) - position * batch_size
                log.warning("%s: %s", self._provider.name, refusal)
                break
            except Exception as error:  # a provider bug must not end the cycle or lose data
                log.exception("%s failed on %s", self._provider.name, ",".join(batch))
                results = {
                    s: ProviderError(f"provider error: {type(error).__name__}") for s in batch
                }
            attempted_at = self._now()
            for symbol in batch:
                result = results.get(symbol) or ProviderError("no answer for this symbol")
                if isinstance(result, QuoteData):
                    summary.fetched += 1
                else:
                    summary.failed += 1
                    summary.errors[symbol] = str(result)
                writer.add(symbol, result, attempted_at)
        writer.flush()

        if self._provider.rate_limited:
            summary.budget_left = self.budget.remaining(self._now())
        self._record_cycle(summary)
        return summary

    def _record_cycle(self, summary: CycleSummary) -> None:
        """Leave a heartbeat the app shows as "scheduler last ran"."""
        finished = self._now()
        rows = [
            {"key": LAST_CYCLE_AT, "value": finished.isoformat(), "updated_at": finished},
            {"key": LAST_CYCLE_SUMMARY, "value": summary.log_line()[:500], "updated_at": finished},
            {"key": PROVIDER_NAME, "value": self._provider.name, "updated_at": finished},
        ]
        with self.engine.begin() as conn:
            upsert(conn, SchedulerState.__table__, rows, keys=["key"])

    def _load_statuses(self, symbols: Sequence[str]) -> dict[str, Row]:
        table = FetchStatus.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.symbol.in_(symbols)))
            return {row.symbol: row for row in rows}
