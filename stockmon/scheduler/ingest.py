"""One refresh cycle: pick the due symbols, spend the budget on them, store what came back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Row, delete, select, update
from sqlmodel import col

from stockmon import __version__
from stockmon.domain.calendar import Market
from stockmon.domain.db import upsert
from stockmon.domain.freshness import clock_of, market_codes
from stockmon.domain.models import (
    DATA_CLASS,
    LAST_CYCLE_AT,
    LAST_CYCLE_SUMMARY,
    LIMIT_PER_DAY,
    LIMIT_PER_MINUTE,
    MARKET_HOURS,
    NEXT_AT,
    NEXT_SYMBOL,
    PROVIDER_NAME,
    PROVIDER_PLAN,
    REFRESH_INTERVAL_SECONDS,
    TRACKED,
    TROUBLE,
    VERSION,
    FetchStatus,
    RetryRequest,
    SchedulerState,
    table_of,
    utcnow,
)
from stockmon.domain.tracking import NOTHING_TRACKED, tracked_symbols
from stockmon.providers.base import (
    BatchRefused,
    BudgetExhausted,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    QuoteProvider,
)
from stockmon.scheduler.budget import BudgetState, RequestBudget
from stockmon.scheduler.cycle_summary import CycleSummary
from stockmon.scheduler.leadership import Fence, LeadershipLost, fenced
from stockmon.scheduler.pacing import Pacer, Plan, SymbolStatus
from stockmon.scheduler.writer import ResultWriter

log = logging.getLogger(__name__)

_EPOCH = datetime.min.replace(tzinfo=UTC)


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
        self._idle = False  # said that nothing is tracked (said once, until that changes)

    def tracked(self) -> list[str]:
        """The symbols this scheduler fetches (the one rule, ``tracking``)."""
        return tracked_symbols(self.engine, self._configured, budgeted=self.budget is not None)

    def run_cycle(self, pace: bool = True) -> CycleSummary:
        """Refresh the due symbols, stalest first, within the budget.

        ``pace=False`` ignores trading hours and the even spread, and refreshes every symbol
        the budget allows right now (``scheduler.py --once``). A batch size the provider
        refuses midway is planned again at once at its new size. Raises ``LeadershipLost``
        when the lease is gone: nothing more is sent or written.
        """
        now = self._now()
        self._grant_retries()
        symbols = self.tracked()
        summary = CycleSummary(tracked=len(symbols))
        if not symbols and not self._idle:
            log.info(NOTHING_TRACKED)
        self._idle = not symbols
        markets = self._markets(symbols) if self.budget is not None and pace else None
        for _plan in range(2):
            statuses = self._load_statuses(symbols)
            to_fetch = self._choose(symbols, statuses, now, markets, summary)
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
            refused = self._fetch(to_fetch, writer, summary)
            writer.flush()
            summary.alerts_fired += writer.alerts_fired
            if not refused:
                break
        if self.budget is not None:
            after = self.budget.state()
            summary.left_this_minute, summary.left_today = after.left_this_minute, after.left_today
            if markets is not None:
                self._plan_next(symbols, markets, to_fetch, after.spent_today, summary)
        self._record_cycle(summary)
        return summary

    def _grant_retries(self) -> None:
        """End the back-off of the symbols an admin asked to retry (``RetryRequest``), in a
        fenced write, so they are due in this cycle; the requests are then done. Without a
        request nothing is written (the lease is renewed by the cycle's own writes)."""
        with self.engine.connect() as conn:
            asked = conn.execute(select(col(RetryRequest.symbol))).scalars().all()
        if not asked:
            return
        with fenced(self.engine, self._fence) as conn:
            conn.execute(
                update(FetchStatus)
                .where(col(FetchStatus.symbol).in_(asked))
                .values(retry_after=None, last_attempt_at=None)
            )
            conn.execute(delete(RetryRequest).where(col(RetryRequest.symbol).in_(asked)))
        log.info("retrying %s, as asked", ", ".join(asked))

    def _fetch(self, to_fetch: Sequence[str], writer: ResultWriter, summary: CycleSummary) -> bool:
        """Fetch ``to_fetch`` a batch at a time into ``writer``; True when the provider
        refused its batch size (the rest waits for a new plan, nothing is counted for it)."""
        position = 0
        while position < len(to_fetch):
            batch = to_fetch[position : position + self._provider.batch_size]
            try:
                results = self._provider.fetch(batch)
            except BatchRefused as refusal:
                log.info("%s: %s", self._provider.name, refusal)
                return True
            except BudgetExhausted:
                summary.skipped_for_budget += len(to_fetch) - position
                break
            except ProviderUnavailable as refusal:
                summary.blocked_until = self._now() + refusal.retry_after
                assert self.budget is not None  # only rate-limited providers refuse
                self.budget.block(summary.blocked_until)
                summary.skipped_for_budget += len(to_fetch) - position
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
            position += len(batch)
        return False

    def _plan_next(
        self,
        symbols: Sequence[str],
        markets: Mapping[str, Market],
        fetched: Sequence[str],
        spent_today: int,
        summary: CycleSummary,
    ) -> None:
        """Which symbol the next paced request goes to, and when the pacing line allows it:
        what the dashboard tells people about the pace of their quotes."""
        assert self.budget is not None
        now = self._now()
        statuses = self._load_statuses(symbols)
        states = {s: _status_of(row) for s, row in statuses.items()}
        pacer = Pacer(self.budget.limits, self._provider.batch_size)
        due = pacer.plan(symbols, markets, states, now, 0).due
        resting = _stalest_first(symbols, states, now)  # nothing due: first when markets open
        upcoming = [s for s in due if s not in fetched] or due or resting
        if not upcoming:
            return
        summary.next_symbol = upcoming[0]
        summary.next_at = pacer.next_slot(symbols, markets, markets[upcoming[0]], now, spent_today)

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
        states = {s: _status_of(row) for s, row in statuses.items()}
        if self.budget is None or markets is None:
            due = _stalest_first(symbols, states, now)
            summary.backing_off = len(symbols) - len(due)
            if self.budget is None:
                return due
            allowed = self.budget.state(now).left * self._provider.batch_size
            summary.skipped_for_budget = max(len(due) - allowed, 0)
            return due[:allowed]

        budget = self.budget.state(now)
        pacer = Pacer(self.budget.limits, self._provider.batch_size, self._cycle)
        plan = pacer.plan(symbols, markets, states, now, budget.spent_today)
        summary.interval, summary.slot = plan.interval, plan.slot
        summary.not_due, summary.backing_off = plan.not_due, plan.backing_off
        allowed = self._allowed(plan, budget)
        paced = (plan.paced_slots or 0) * self._provider.batch_size
        chosen: list[str] = []
        for symbol in plan.due:
            if len(chosen) >= allowed:
                break
            if symbol in plan.free or paced > 0 or plan.paced_slots is None:
                chosen.append(symbol)
                paced -= symbol not in plan.free
        summary.skipped_for_budget = len(plan.due) - len(chosen)
        return chosen

    def _allowed(self, plan: Plan, budget: BudgetState) -> int:
        """Symbols this paced cycle may send for. Under a daily cap, what the budget has left
        now. Without one the plan's share of the minute bounds the cycle, and the gate checks
        each request as it leaves: a request sent a minute before the cycle began leaves the
        window by the time this cycle's request in its place is sent, so counting it at the
        start would starve an evenly spread budget."""
        assert self.budget is not None
        if self.budget.limits.per_day or plan.paced_slots is None:
            return budget.left * self._provider.batch_size
        if budget.blocked_until is not None:
            return 0
        return len(plan.due)

    def _markets(self, symbols: Sequence[str]) -> dict[str, Market]:
        if not self._market_hours:  # every symbol ages by the clock: no listing to look up
            return {s: clock_of("", market_hours=False) for s in symbols}
        with self.engine.connect() as conn:
            codes = market_codes(conn, symbols)
        return {s: clock_of(code, market_hours=True) for s, code in codes.items()}

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
            PROVIDER_PLAN: self._provider.plan,
            DATA_CLASS: self._provider.data_class.value,
            NEXT_SYMBOL: summary.next_symbol or "",
            NEXT_AT: summary.next_at.isoformat() if summary.next_at else "",
            TRACKED: str(summary.tracked),
            TROUBLE: "",  # a cycle stored: whatever troubled the database is over
        }
        rows = [{"key": k, "value": v, "updated_at": finished} for k, v in facts.items()]
        with fenced(self.engine, self._fence) as conn:
            upsert(conn, table_of(SchedulerState), rows, keys=["key"])

    def _load_statuses(self, symbols: Sequence[str]) -> dict[str, Row]:
        if not symbols:
            return {}
        table = table_of(FetchStatus)
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.symbol.in_(symbols)))
            return {row.symbol: row for row in rows}


def _stalest_first(
    symbols: Sequence[str], states: Mapping[str, SymbolStatus], now: datetime
) -> list[str]:
    """The symbols not backing off, the oldest good quote first (none at all before any)."""
    ready = [s for s in symbols if not states.get(s, SymbolStatus()).backing_off(now)]
    return sorted(
        ready, key=lambda s: (getattr(states.get(s), "last_success_at", None) or _EPOCH, s)
    )


def _status_of(row: Row) -> SymbolStatus:
    return SymbolStatus(row.last_attempt_at, row.last_success_at, row.retry_after)
