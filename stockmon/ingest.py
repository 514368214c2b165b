"""One refresh cycle: pick the due symbols, spend the budget on them, store what came back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Row, select

from stockmon import __version__
from stockmon.budget import Fence, RequestBudget
from stockmon.calendar import ALWAYS_OPEN, Market, market, market_of
from stockmon.config import SYMBOL_PATTERN
from stockmon.db import upsert
from stockmon.leadership import LeadershipLost
from stockmon.models import (
    LAST_CYCLE_AT,
    LAST_CYCLE_SUMMARY,
    LIMIT_PER_DAY,
    LIMIT_PER_MINUTE,
    MARKET_HOURS,
    PROVIDER_NAME,
    REFRESH_INTERVAL_SECONDS,
    VERSION,
    FetchStatus,
    SchedulerState,
    Symbol,
    WatchlistItem,
    utcnow,
)
from stockmon.pacing import Pacer, SymbolStatus
from stockmon.pacing import start_of_day as day_start
from stockmon.providers.base import (
    BudgetExhausted,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    QuoteProvider,
)
from stockmon.writer import ResultWriter

log = logging.getLogger(__name__)

DEFAULT_SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "AMD", "NFLX", "DIS")
_EPOCH = datetime.min.replace(tzinfo=UTC)


def symbols_to_track(engine: Engine, configured: Sequence[str]) -> list[str]:
    """``configured`` symbols, then every user's picks, deduplicated; a default list when empty."""
    with engine.connect() as conn:
        picked = conn.execute(
            select(WatchlistItem.symbol).distinct().order_by(WatchlistItem.symbol)
        ).scalars()
        symbols = [s for s in dict.fromkeys([*configured, *picked]) if SYMBOL_PATTERN.match(s)]
    return symbols or list(DEFAULT_SYMBOLS)


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
    interval: timedelta | None = None  # trading time between two refreshes of a symbol
    slot: timedelta | None = None  # trading time between two paced requests
    alerts_fired: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def log_line(self) -> str:
        budget = "unlimited" if self.budget_left is None else str(self.budget_left)
        line = (
            f"cycle: {self.fetched} fetched, {self.failed} failed, "
            f"{self.skipped_for_budget} skipped for budget, {self.not_due} not due, "
            f"{self.backing_off} backing off, of {self.tracked} tracked; budget left {budget}"
        )
        if self.interval is not None:
            line += f"; each symbol every {self.interval.total_seconds() / 60:.0f} trading min"
        if self.blocked_until is not None:
            line += f"; provider blocked until {self.blocked_until:%Y-%m-%d %H:%M:%S} UTC"
        if self.alerts_fired:
            line += f"; {self.alerts_fired} alert{'s' * (self.alerts_fired != 1)} fired"
        return line


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Refresher:
    """Runs refresh cycles of one provider into one database.

    ``budget`` is the rate-limited provider's request budget (None: the provider has none);
    ``fence`` renews the scheduler's lease inside every write, refusing a deposed leader's.
    ``cycle`` is how often the scheduler runs a cycle, published with the pacing interval.
    ``market_hours=False`` paces the budget around the clock instead of over trading sessions.
    ``on_alerts`` is called as soon as stored quotes have fired alerts (to deliver them at once).
    """

    def __init__(
        self,
        engine: Engine,
        provider: QuoteProvider,
        budget: RequestBudget | None,
        configured_symbols: Sequence[str] = (),
        *,
        now: Callable[[], datetime] = utcnow,
        fence: Fence | None = None,
        cycle: timedelta = timedelta(0),
        market_hours: bool = True,
        on_alerts: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self._provider = provider
        self.budget = budget
        self._configured = tuple(configured_symbols)
        self._now = now
        self._fence = fence
        self._cycle = cycle
        self._market_hours = market_hours
        self.on_alerts = on_alerts

    def run_cycle(self, pace: bool = True) -> CycleSummary:
        """Refresh the due symbols, stalest first, within the budget.

        ``pace=False`` ignores trading hours and the even spread, and refreshes every symbol
        the budget allows right now (``scheduler.py --once``). Raises ``LeadershipLost`` when
        the lease is gone: nothing more is sent or written.
        """
        now = self._now()
        symbols = symbols_to_track(self.engine, self._configured)
        statuses = self._load_statuses(symbols)
        summary = CycleSummary(tracked=len(symbols))
        markets = self._markets(symbols) if self.budget is not None and pace else None
        to_fetch = self._choose(symbols, statuses, now, markets, summary)

        batch_size = self._provider.batch_size
        writer = ResultWriter(
            self.engine,
            statuses,
            summary.interval,
            summary.slot,
            self._fence,
            markets,
            now=self._now,
            on_alerts=self.on_alerts,
        )
        for position, batch in enumerate(_chunks(to_fetch, batch_size)):
            try:
                results = self._provider.fetch(batch)
            except BudgetExhausted:
                summary.skipped_for_budget += len(to_fetch) - position * batch_size
                break
            except ProviderUnavailable as refusal:
                summary.blocked_until = self._now() + refusal.retry_after
                assert self.budget is not None  # only rate-limited providers refuse
                self.budget.block(summary.blocked_until)
                summary.skipped_for_budget += len(to_fetch) - position * batch_size
                log.warning("%s: %s", self._provider.name, refusal)
                break
            except ProviderError as error:
                results = dict.fromkeys(batch, error)
            except LeadershipLost:
                raise
            except Exception as error:  # a provider bug must not end the cycle or lose data
                log.exception("%s failed on %s", self._provider.name, ",".join(batch))
                failure = ProviderError(f"provider error: {type(error).__name__}")
                results = dict.fromkeys(batch, failure)
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
        summary.alerts_fired = writer.alerts_fired

        if self.budget is not None:
            summary.budget_left = self.budget.remaining()
        self._record_cycle(summary)
        return summary

    def _choose(
        self,
        symbols: Sequence[str],
        statuses: dict[str, Row],
        now: datetime,
        markets: Mapping[str, Market] | None,
        summary: CycleSummary,
    ) -> list[str]:
        """The symbols to fetch this cycle, in order; counts the others in ``summary``.

        ``markets`` (each symbol's exchange) when the budget is paced over trading time.
        """
        states = {
            s: SymbolStatus(row.last_attempt_at, row.last_success_at, row.retry_after)
            for s, row in statuses.items()
        }
        if self.budget is None or markets is None:
            due = [s for s in symbols if not states.get(s, SymbolStatus()).backing_off(now)]
            summary.backing_off = len(symbols) - len(due)
            due.sort(key=lambda s: (getattr(states.get(s), "last_success_at", None) or _EPOCH, s))
            if self.budget is None:
                return due
            allowed = self.budget.remaining() * self._provider.batch_size
            summary.skipped_for_budget = max(len(due) - allowed, 0)
            return due[:allowed]

        pacer = Pacer(self.budget.limits, self._provider.batch_size)
        plan = pacer.plan(symbols, markets, states, now, self.budget.spent_since(day_start(now)))
        summary.interval, summary.slot = plan.interval, plan.slot
        summary.not_due, summary.backing_off = plan.not_due, plan.backing_off
        allowed = self.budget.remaining() * self._provider.batch_size
        paced = (plan.paced_slots or 0) * self._provider.batch_size
        chosen = []
        for symbol in plan.due:
            if len(chosen) >= allowed:
                break
            if symbol in plan.free or paced > 0 or plan.paced_slots is None:
                chosen.append(symbol)
                paced -= symbol not in plan.free
        summary.skipped_for_budget = len(plan.due) - len(chosen)
        return chosen

    def _markets(self, symbols: Sequence[str]) -> dict[str, Market]:
        if not self._market_hours:
            return dict.fromkeys(symbols, market(ALWAYS_OPEN))
        with self.engine.connect() as conn:
            exchanges = dict(
                conn.execute(
                    select(Symbol.symbol, Symbol.exchange).where(Symbol.symbol.in_(symbols))
                ).all()
            )
        return {s: market(market_of(s, exchanges.get(s, ""))) for s in symbols}

    def _record_cycle(self, summary: CycleSummary) -> None:
        """Leave a heartbeat the app reads: when, what, how often each symbol refreshes, and
        within which limits."""
        finished = self._now()
        interval = max(self._cycle, summary.interval or timedelta(0))
        limits = self.budget.limits if self.budget is not None else None
        facts = {
            LAST_CYCLE_AT: finished.isoformat(),
            LAST_CYCLE_SUMMARY: summary.log_line()[:500],
            PROVIDER_NAME: self._provider.name,
            REFRESH_INTERVAL_SECONDS: f"{interval.total_seconds():.0f}",
            MARKET_HOURS: str(self.budget is not None and self._market_hours).lower(),
            VERSION: __version__,
            LIMIT_PER_MINUTE: str(limits.per_minute) if limits else "",
            LIMIT_PER_DAY: str(limits.per_day) if limits and limits.per_day else "",
        }
        rows = [{"key": k, "value": v, "updated_at": finished} for k, v in facts.items()]
        with self.engine.begin() as conn:
            if self._fence:
                self._fence(conn)
            upsert(conn, SchedulerState.__table__, rows, keys=["key"])

    def _load_statuses(self, symbols: Sequence[str]) -> dict[str, Row]:
        table = FetchStatus.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.symbol.in_(symbols)))
            return {row.symbol: row for row in rows}
