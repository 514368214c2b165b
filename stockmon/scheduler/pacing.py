"""How a rate-limited budget is spent: when markets trade, evenly, stalest first, fairly.

- **Over trading time.** The daily budget D is spread over the day's trading sessions of the
  tracked listings: by any moment of a UTC day, at most D x (trading minutes elapsed, summed over
  symbols) / (the day's trading minutes, summed over symbols) requests are spent. Weekends and
  holidays spend nothing, so with N symbols on one exchange each symbol is refreshed about every
  session-length x N / D of trading time (390 x 10 / 25 = 156 minutes on the free plan).
- **Evenly without a daily cap.** Each cycle spends at most its share of the per-minute limit
  (R x cycle / 1 minute), so N symbols are each refreshed every N / R minutes instead of in
  bursts that empty the minute's window and then wait (10 symbols at 60 a minute: every 10 s).
- **Only what changed.** A symbol is due when its market has traded since its last attempt; a
  quote fetched after the close stays current until the market reopens. The fetch after a
  close that gets the closing price is paid from the day's unspent budget, or free when the
  request leaves the rolling window before the market reopens (a Friday night, a holiday).
  A symbol never fetched is fetched at once, whatever the hour, within the hard limits.
- **Stalest first**, by trading time since the last success; a symbol never fetched goes first.
- **Fair.** A symbol failing a few times running is retried at the next slot, as the
  stalest should be (once only, when it has never answered well); one that keeps failing
  backs off one pacing interval, then two, and due-ness counts its last attempt, so it never
  takes more than its share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from stockmon.domain.backoff import growing_wait
from stockmon.domain.calendar import Market
from stockmon.domain.freshness import age
from stockmon.scheduler.budget import Limits, start_of_day

NEVER = timedelta.max
MINUTE = timedelta(minutes=1)
REJECTED_BACKOFF = (timedelta(minutes=15), timedelta(hours=24))  # first, longest
FAILED_BACKOFF = (timedelta(minutes=1), timedelta(minutes=30))  # unpaced (demo, --once)
PACED_BLIPS = 4  # paced: failures in a row retried at the next slot
NEW_SYMBOL_BLIPS = 1  # the same, for a symbol that has never answered well
PACED_FAILURE_CAP = 2  # paced: then back off one pacing interval, doubling to this many


@dataclass(frozen=True)
class SymbolStatus:
    """What pacing needs of one symbol's bookkeeping."""

    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    retry_after: datetime | None = None

    def backing_off(self, now: datetime) -> bool:
        return self.retry_after is not None and self.retry_after > now


@dataclass(frozen=True)
class Plan:
    """One cycle's decision: what to fetch, in order, and why the rest waits."""

    due: list[str]  # stalest first
    paced_slots: int | None  # requests the pacing line allows now; None: no pacing
    free: frozenset[str]  # due symbols whose fetch costs no trading-time budget
    not_due: int
    backing_off: int
    interval: timedelta | None  # trading time between two refreshes of a symbol
    slot: timedelta | None  # trading time between two paced requests


def failure_backoff(
    failures: int, interval: timedelta | None, slot: timedelta | None, answered_before: bool
) -> timedelta:
    """Back-off after a passing failure. Unpaced: 1 minute doubling to 30. Paced: the first
    few failures in a row wait half a ``slot`` (the time between two paced requests), so the
    symbol is due again by the next slot and takes it while it is the stalest (under random
    losses a healthy symbol is now and then unlucky several times running, and each slot it
    waits adds to its staleness); then one ``interval``, doubling to two, so a symbol that
    keeps failing spends at most about half its share. A symbol that has never answered well
    gets one quick retry (its first fetch may meet a passing failure), not four: it is more
    likely failing than unlucky, and each quick retry takes the slot of a symbol that answers."""
    if interval is None or slot is None:
        return growing_wait(failures, *FAILED_BACKOFF)
    blips = PACED_BLIPS if answered_before else NEW_SYMBOL_BLIPS
    if failures <= blips:
        return max(FAILED_BACKOFF[0], slot / 2)
    return growing_wait(failures - blips, interval, interval * PACED_FAILURE_CAP)


class Pacer:
    def __init__(self, limits: Limits, batch_size: int, cycle: timedelta = timedelta(0)) -> None:
        self.limits = limits
        self.batch_size = batch_size
        self.cycle = cycle  # how often a plan is made; 0: spend what the limits allow at once

    def plan(
        self,
        symbols: Sequence[str],
        markets: Mapping[str, Market],
        statuses: Mapping[str, SymbolStatus],
        now: datetime,
        spent_today: int,
    ) -> Plan:
        """Which of ``symbols`` (each trading on ``markets[symbol]``) to fetch now."""
        day_share = self._day_shares(symbols, markets, now)
        interval = self.interval(symbols, markets, now)
        due: list[tuple[timedelta, str]] = []
        free: set[str] = set()
        not_due = backing_off = 0
        for symbol in symbols:
            status = statuses.get(symbol, SymbolStatus())
            market = markets[symbol]
            if status.backing_off(now):
                backing_off += 1
                continue
            if status.last_attempt_at is not None and not market.trading_time(
                status.last_attempt_at, now
            ):
                not_due += 1  # nothing has traded since the last attempt
                continue
            staleness = (
                age(market, status.last_success_at, now) if status.last_success_at else NEVER
            )
            due.append((staleness, symbol))
            never_fetched = status.last_success_at is None and status.last_attempt_at is None
            if never_fetched or (not market.is_open(now) and self._costs_nothing(market, now)):
                free.add(symbol)
        due.sort(key=lambda item: (-_minutes(item[0]), item[1]))
        slots = None
        if self.limits.per_day:
            elapsed, whole = day_share
            line = self.limits.per_day * elapsed / whole if whole else 0.0
            slots = max(math.ceil(line - 1e-9) - spent_today, 0)
        elif self.cycle:
            slots = max(math.floor(self.limits.per_minute * (self.cycle / MINUTE)), 1)
        slot = interval / math.ceil(len(symbols) / self.batch_size) if interval else None
        return Plan(
            [s for _, s in due], slots, frozenset(free), not_due, backing_off, interval, slot
        )

    def next_slot(
        self,
        symbols: Sequence[str],
        markets: Mapping[str, Market],
        market: Market,
        now: datetime,
        spent_today: int,
    ) -> datetime | None:
        """About when the pacing line allows one request beyond ``spent_today``, for a symbol
        trading on ``market`` (None: past the calendar's horizon). The line counts trading
        time summed over ``symbols``; the wait is spread over them as if they all traded."""
        if not market.is_open(now):
            return market.next_open(now)
        if not self.limits.per_day:
            return now
        elapsed, whole = self._day_shares(symbols, markets, now)
        needed = whole * (spent_today / self.limits.per_day)
        if needed <= elapsed:
            return now
        if needed >= whole:  # today's share is spent: the next UTC day's trading
            tomorrow = start_of_day(now) + timedelta(days=1)
            return market.next_open(tomorrow) if not market.is_open(tomorrow) else tomorrow
        return market.after_trading(now, (needed - elapsed) / len(symbols))

    def interval(
        self, symbols: Sequence[str], markets: Mapping[str, Market], now: datetime
    ) -> timedelta | None:
        """Trading time between two refreshes of each symbol when the budget is spent evenly
        (None: the provider has no budget to pace)."""
        if not symbols:
            return None
        requests = math.ceil(len(symbols) / self.batch_size)
        interval = timedelta(minutes=requests / self.limits.per_minute)
        if self.limits.per_day:
            _, whole = self._day_shares(symbols, markets, now, typical=True)
            per_symbol = whole / len(symbols)
            interval = max(interval, per_symbol * requests / self.limits.per_day)
        return interval

    def _day_shares(
        self,
        symbols: Sequence[str],
        markets: Mapping[str, Market],
        now: datetime,
        typical: bool = False,
    ) -> tuple[timedelta, timedelta]:
        """Trading time of the UTC day summed over symbols: (elapsed by ``now``, whole day).

        ``typical``: on a day without trading, the next trading day's whole.
        """
        elapsed = whole = timedelta(0)
        for symbol in symbols:
            market = markets[symbol]
            so_far, all_day = market.day_trading_time(now)
            if typical and not all_day and (reopens := market.next_open(now)) is not None:
                all_day = market.day_trading_time(reopens)[1]
            elapsed += so_far
            whole += all_day
        return elapsed, whole

    def _costs_nothing(self, market: Market, now: datetime) -> bool:
        """A request sent now leaves the rolling window before ``market`` reopens."""
        reopens = market.next_open(now)
        return reopens is None or now + self.limits.window <= reopens


def _minutes(delta: timedelta) -> float:
    return math.inf if delta == NEVER else delta.total_seconds() / 60
