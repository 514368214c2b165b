"""Daily history, in the scheduler.

When a symbol is first tracked its daily bars are fetched once (Alpha Vantage
``TIME_SERIES_DAILY``, compact: the last 100 sessions; the demo market: a year), within a
share of the daily request budget so quotes come first: backfill attempts in the last 24 hours
stay under ``share`` x the daily limit. Afterwards the bars are kept current from the latest
quotes (``record_todays_bars``, off the fetch path), never fetched again. A provider without
daily bars (Finnhub's free plan) is asked only for 52-week ranges, and the bars grow from the
quotes alone. The earnings calendar (one request for every symbol, ``earnings_calendar``) is
asked within the same share.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update
from sqlmodel import col

from stockmon.domain import redaction
from stockmon.domain.db import upsert
from stockmon.domain.models import DailyBar, FetchStatus, Quote, Symbol, table_of
from stockmon.providers.base import (
    BudgetExhausted,
    DailyBarData,
    EarningsProvider,
    HistoryProvider,
    Paused,
    ProviderError,
    ProviderUnavailable,
    QuoteProvider,
)
from stockmon.scheduler import earnings_calendar
from stockmon.scheduler.budget import RequestBudget
from stockmon.scheduler.leadership import Fence, fenced

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(hours=6)  # a failed backfill is tried again after this
DAY = timedelta(days=1)
YEAR = timedelta(days=365)
UNLIMITED_PER_TICK = 25  # symbols backfilled per tick from a provider with no budget


class Backfill:
    """Fetches the daily history of tracked symbols that have none, a few per call."""

    def __init__(
        self,
        engine: Engine,
        provider: HistoryProvider | QuoteProvider,
        budget: RequestBudget | None,
        share: float,
        now: Callable[[], datetime],
        fence: Fence | None = None,
    ) -> None:
        self.engine = engine
        self._provider = provider
        self._history = provider if isinstance(provider, HistoryProvider) else None
        self._budget = budget
        self._share = share
        self._now = now
        self._fence = fence

    @property
    def history_source(self) -> str:
        """The provider daily bars come from ("" none: they grow from quotes alone)."""
        return self._history.name if self._history is not None else ""

    def due(self, symbols: Sequence[str]) -> list[str]:
        """Symbols without history whose last attempt (if any) is old enough, in order."""
        if self._history is None:
            return []
        with self.engine.connect() as conn:
            rows = dict(
                conn.execute(
                    select(col(FetchStatus.symbol), col(FetchStatus.history_attempt_at)).where(
                        col(FetchStatus.symbol).in_(list(symbols)),
                        col(FetchStatus.history_loaded_at).is_not(None)
                        | (col(FetchStatus.history_attempt_at) > self._now() - RETRY_AFTER),
                    )
                ).all()
            )
        return [s for s in symbols if s not in rows]

    def facts_due(self, symbols: Sequence[str]) -> list[str]:
        """Symbols whose 52-week range and company facts are missing or a day old, once their
        history is in (with a provider of no history: at once)."""
        stale = col(Symbol.overview_at).is_(None) | (col(Symbol.overview_at) <= self._now() - DAY)
        query = select(col(Symbol.symbol)).where(col(Symbol.symbol).in_(list(symbols)), stale)
        if self._history is not None:
            query = query.join(FetchStatus, col(FetchStatus.symbol) == col(Symbol.symbol)).where(
                col(FetchStatus.history_loaded_at).is_not(None)
            )
        with self.engine.connect() as conn:
            found = set(conn.execute(query).scalars())
        return [s for s in symbols if s in found]

    def room(self) -> int:
        """How many backfills this call may start: within the share of the daily limit (or,
        with no daily limit, one a call), and never beyond what the budget has left."""
        if self._budget is None:
            return UNLIMITED_PER_TICK
        limits = self._budget.limits
        if not limits.per_day:
            return min(1, self._budget.remaining())
        since = self._now() - DAY
        with self.engine.connect() as conn:
            spent = (
                conn.execute(
                    select(func.count())
                    .select_from(FetchStatus)
                    .where(col(FetchStatus.history_attempt_at) > since)
                ).scalar_one()
                + conn.execute(
                    select(func.count()).select_from(Symbol).where(col(Symbol.overview_at) > since)
                ).scalar_one()
                + earnings_calendar.asks_since(conn, since)
            )
        allowed = math.floor(self._share * limits.per_day) - spent
        return max(0, min(allowed, 1, self._budget.remaining()))

    def run(self, symbols: Sequence[str]) -> int:
        """Backfill what is due within ``room``: the earnings calendar first (one request a
        day for every symbol), then history, then 52-week ranges and facts; how many symbols
        got their history."""
        room = self.room()
        if room > 0 and self.load_earnings(symbols):
            room = self.room()  # the ask counts in the share: what is left of it
        history = self.due(symbols)[:room]
        loaded = self._load_history(history)
        if room > len(history):
            self._load_facts(self.facts_due(symbols)[: room - len(history)])
        return loaded

    def load_earnings(self, symbols: Sequence[str]) -> bool:
        """Ask the earnings calendar for the symbols whose dates are due; whether it was
        asked."""
        if not isinstance(self._provider, EarningsProvider):
            return False
        gap = earnings_calendar.GAP if self._budget is not None else timedelta(0)
        if not (due := earnings_calendar.due(self.engine, symbols, self._now(), gap)):
            return False
        try:
            reports = self._provider.earnings(due)
        except (BudgetExhausted, ProviderUnavailable, Paused) as refusal:
            log.info("earnings calendar waits: %s", redaction.brief(str(refusal)))
            return False
        except ProviderError as error:
            earnings_calendar.record_failure(self.engine, due, str(error), self._now(), self._fence)
            return True
        earnings_calendar.record(self.engine, due, reports, self._now(), self._fence)
        return True

    def _load_facts(self, symbols: Sequence[str]) -> None:
        for symbol in symbols:
            try:
                facts = self._provider.facts(symbol)
            except (BudgetExhausted, ProviderUnavailable, Paused) as refusal:
                log.info("52-week range and facts wait: %s", redaction.brief(str(refusal)))
                return
            except ProviderError as error:  # tried again in a day; what is stored stays
                log.info("52-week range and facts of %s: %s", symbol, redaction.brief(str(error)))
                values: dict[str, object] = {"overview_at": self._now()}
            else:
                values = {
                    "sector": facts.sector or None,
                    "market_cap": facts.market_cap,
                    "pe_ratio": facts.pe_ratio,
                    "overview_at": self._now(),
                }
                if facts.year_range is not None:  # else the bars' range stays
                    values.update(year_low=facts.year_low, year_high=facts.year_high)
            with fenced(self.engine, self._fence) as conn:
                conn.execute(update(Symbol).where(col(Symbol.symbol) == symbol).values(**values))

    def _load_history(self, symbols: Sequence[str]) -> int:
        loaded = 0
        for symbol in symbols:
            assert self._history is not None  # ``due`` is empty without one
            try:
                bars = self._history.daily_history(symbol)
            except (BudgetExhausted, ProviderUnavailable, Paused) as refusal:
                log.info("history backfill waits: %s", redaction.brief(str(refusal)))
                break
            except ProviderError as error:
                self._record(symbol, [], redaction.brief(str(error), 300))
                continue
            self._record(symbol, bars, None)
            loaded += bool(bars)
        return loaded

    def _record(self, symbol: str, bars: list[DailyBarData], error: str | None) -> None:
        now = self._now()
        history = {
            "history_attempt_at": now,
            "history_loaded_at": now if bars else None,
            "history_error": error if error else (None if bars else "no daily history"),
        }
        with fenced(self.engine, self._fence) as conn:
            if bars:
                rows = [_row(symbol, bar) for bar in bars]
                upsert(conn, table_of(DailyBar), rows, keys=["symbol", "day"])
            known = conn.execute(
                update(FetchStatus).where(col(FetchStatus.symbol) == symbol).values(**history)
            ).rowcount
            if not known:  # not fetched yet: its bookkeeping starts here
                conn.execute(
                    insert(FetchStatus).values(symbol=symbol, consecutive_failures=0, **history)
                )
        outcome = f"{len(bars)} days" if bars else history["history_error"]
        log.info("history of %s: %s", symbol, outcome)


def _row(symbol: str, bar: DailyBarData) -> dict[str, object]:
    return {
        "symbol": symbol,
        "day": bar.day,
        "open": bar.open,
        "high": bar.high,
        "low": bar.low,
        "close": bar.close,
        "volume": bar.volume,
    }


def record_todays_bars(engine: Engine, fence: Fence | None = None) -> int:
    """Copy each stored quote's day (open, high, low, price, volume) into the daily bars, so
    history stays current without another request; how many bars were written."""
    with fenced(engine, fence) as conn:
        rows = [
            {
                "symbol": q.symbol,
                "day": q.latest_trading_day,
                "open": q.open,
                "high": q.high,
                "low": q.low,
                "close": q.price,
                "volume": q.volume,
            }
            for q in conn.execute(
                select(Quote).where(
                    col(Quote.latest_trading_day).is_not(None),
                    col(Quote.open).is_not(None),
                    col(Quote.high).is_not(None),
                    col(Quote.low).is_not(None),
                )
            )
        ]
        if rows:
            upsert(conn, table_of(DailyBar), rows, keys=["symbol", "day"])
    return len(rows)
