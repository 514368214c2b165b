"""The scheduler's work, for ``scheduler.py`` or an app that runs it in a thread of its own
(``STOCKMON_EMBEDDED_SCHEDULER``): the worker, and its jobs (``jobs``) on their intervals.

Every job acts only while this process leads (the lease), so any number of processes may run
them against one database.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from stockmon.domain import notify
from stockmon.domain.config import ProviderChoice, Settings
from stockmon.domain.db import make_engine
from stockmon.domain.models import (
    Quote,
    utcnow,
)
from stockmon.domain.schema import prepare_database
from stockmon.providers import (
    DemoProvider,
    HistoryProvider,
    QuoteProvider,
    make_alpha_vantage,
    make_provider,
    no_gate,
)
from stockmon.scheduler.backfill import Backfill
from stockmon.scheduler.budget import Limits, RequestBudget
from stockmon.scheduler.delivery import Deliverer
from stockmon.scheduler.ingest import Refresher
from stockmon.scheduler.jobs import (
    answer_requests,
    backfill_history,
    cycle_request,
    deliver_alerts,
    housekeeping,
    keep_lease,
    keep_stream,
    run_cycle,
)
from stockmon.scheduler.leadership import Lease
from stockmon.scheduler.stream import TradeStream

log = logging.getLogger("stockmon.scheduler")
HOUSEKEEPING_EVERY = timedelta(minutes=5)
DELIVER_EVERY = timedelta(seconds=2)
HISTORY_EVERY = timedelta(seconds=10)
STREAM_EVERY = timedelta(seconds=2)  # how soon the stream follows the lease and the picks


@dataclass
class CycleLog:
    """A cycle's summary goes to INFO when it differs from the last one logged, or once a
    minute; otherwise to DEBUG, so a quiet scheduler writes a line a minute, not one a cycle."""

    every: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _last: str = ""
    _at: float = -math.inf

    def level(self, line: str) -> int:
        now = self.clock()
        if line != self._last or now - self._at >= self.every:
            self._last, self._at = line, now
            return logging.INFO
        return logging.DEBUG


@dataclass
class Worker:
    """Everything one scheduler process runs with."""

    engine: Engine
    lease: Lease
    provider: QuoteProvider
    refresher: Refresher
    settings: Settings
    deliverer: Deliverer
    backfill: Backfill
    stream: TradeStream | None = None  # Finnhub's trade stream, run while this process leads
    cycle_log: CycleLog = field(default_factory=CycleLog)
    answered_request: str | None = None  # the last cycle request from the app acted on


def build_worker(settings: Settings) -> Worker:
    notify.configure(settings)
    lease_ttl = timedelta(seconds=settings.leader_lease_seconds)
    engine = make_engine(settings.database_url, idle_transaction_seconds=lease_ttl.total_seconds())
    prepare_database(engine)
    notify.seal_stored(engine)
    lease = Lease(engine, lease_ttl)
    choice = settings.effective_provider
    budget = None
    if choice is not ProviderChoice.DEMO:
        limits = Limits.of(settings, choice)
        budget = RequestBudget(engine, choice.value, limits, fence=lease.fence)
    provider = make_provider(settings, gate=budget.take if budget else no_gate)
    if isinstance(provider, DemoProvider):
        with Session(engine) as session:
            provider.resume(list(session.exec(select(Quote))))
    refresher = Refresher(
        engine,
        provider,
        budget,
        settings.symbols,
        fence=lease.fence,
        cycle=timedelta(seconds=settings.refresh_seconds),
        market_hours=settings.market_hours,
    )
    history, history_budget = daily_history_source(settings, engine, lease, provider, budget)
    backfill = Backfill(
        engine, history, history_budget, settings.history_budget_share, utcnow, fence=lease.fence
    )
    worker = Worker(engine, lease, provider, refresher, settings, Deliverer(engine), backfill)
    if choice is ProviderChoice.FINNHUB:
        assert settings.finnhub_api_key is not None
        worker.stream = TradeStream(
            engine,
            settings.finnhub_ws_url,
            settings.finnhub_api_key.get_secret_value(),
            lease.fence,
            settings.stream_point_seconds,
        )
    worker.answered_request = cycle_request(engine)  # from before this start: done or stale
    return worker


def daily_history_source(
    settings: Settings,
    engine: Engine,
    lease: Lease,
    provider: QuoteProvider,
    budget: RequestBudget | None,
) -> tuple[HistoryProvider | QuoteProvider, RequestBudget | None]:
    """Where daily bars and 52-week ranges come from, and the budget they are paid from: the
    quote provider, unless it has no daily bars (Finnhub's free plan) and an Alpha Vantage key
    is set too; then Alpha Vantage, within its own budget."""
    has_bars = isinstance(provider, HistoryProvider)
    if has_bars or settings.alpha_vantage_api_key is None:
        return provider, budget
    limits = Limits.of(settings, ProviderChoice.ALPHAVANTAGE)
    own = RequestBudget(engine, ProviderChoice.ALPHAVANTAGE.value, limits, fence=lease.fence)
    return make_alpha_vantage(settings, gate=own.take), own


def release(worker: Worker) -> None:
    """Close the trade stream and give the lease back; a failure here is logged, never raised
    over the real error."""
    if worker.stream is not None:
        worker.stream.stop()
    try:
        worker.lease.release()
    except SQLAlchemyError as error:
        log.warning("could not release the lease (%s); it runs out by itself", error)


def schedule_jobs(scheduler: BaseScheduler, worker: Worker) -> None:
    """Add the scheduler's jobs to ``scheduler`` (a blocking one in ``scheduler.py``, a
    background one when the app runs the scheduler itself): refresh cycles, the lease,
    housekeeping, alert delivery, people's requests and history backfill."""
    settings = worker.settings

    def run_now(job: str) -> Callable[[], None]:
        """Run ``job`` now instead of at its next tick."""

        def modify() -> None:
            with contextlib.suppress(JobLookupError):  # shutting down
                scheduler.modify_job(job, next_run_time=datetime.now(UTC))

        return modify

    worker.refresher.on_alerts = run_now("deliver")  # alerts just fired: send them at once
    if worker.stream is not None:
        worker.stream.on_alerts = run_now("deliver")
    lease_every = min(settings.refresh_seconds, settings.leader_lease_seconds / 3)
    every_tick = DELIVER_EVERY.total_seconds()
    jobs = (
        (run_cycle, (worker, True), settings.refresh_seconds, "refresh"),
        (keep_lease, (worker,), lease_every, "lease"),
        (housekeeping, (worker,), HOUSEKEEPING_EVERY.total_seconds(), "housekeeping"),
        (deliver_alerts, (worker,), every_tick, "deliver"),
        (answer_requests, (worker, run_now("refresh")), every_tick, "requests"),
        (backfill_history, (worker,), HISTORY_EVERY.total_seconds(), "history"),
        (keep_stream, (worker,), STREAM_EVERY.total_seconds(), "stream"),
    )
    for function, args, seconds, name in jobs:
        scheduler.add_job(
            function,
            "interval",
            args=args,
            seconds=seconds,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(int(seconds), 1),
            id=name,
        )
