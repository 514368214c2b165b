"""The scheduler's work, for ``scheduler.py`` or an app that runs it in a thread of its own
(``STOCKMON_EMBEDDED_SCHEDULER``): the worker, the jobs, and what each job does.

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
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from stockmon.domain import db_trouble, notify, sessions
from stockmon.domain.config import ProviderChoice, Settings
from stockmon.domain.db import make_engine, upsert
from stockmon.domain.models import (
    CYCLE_REQUESTED_AT,
    DAILY_HISTORY,
    LEADER,
    TROUBLE,
    TROUBLE_AT,
    Quote,
    SchedulerState,
    table_of,
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
from stockmon.scheduler.backfill import Backfill, record_todays_bars
from stockmon.scheduler.budget import Limits, RequestBudget
from stockmon.scheduler.delivery import Deliverer
from stockmon.scheduler.discovery import answer_searches
from stockmon.scheduler.ingest import Refresher
from stockmon.scheduler.leadership import LeadershipLost, Lease, fenced
from stockmon.scheduler.retention import roll_up
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


def cycle_request(engine: Engine) -> str | None:
    """When an admin last asked for a cycle now (the status page writes it)."""
    with engine.connect() as conn:
        return conn.execute(
            select(col(SchedulerState.value)).where(col(SchedulerState.key) == CYCLE_REQUESTED_AT)
        ).scalar()


def database_trouble(worker: Worker, what: str, error: SQLAlchemyError) -> None:
    """Log what the database's trouble is, in words, and write it down for the pages when the
    database still takes a small write (a busy one does; a full or read-only one will not,
    and the pages then look for themselves)."""
    trouble = db_trouble.explain(error, worker.engine)
    log.error("%s: %s (%s)", what, db_trouble.SENTENCES[trouble], type(error).__name__)
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"key": TROUBLE, "value": trouble.value, "updated_at": now},
        {"key": TROUBLE_AT, "value": now.isoformat(), "updated_at": now},
    ]
    with (
        contextlib.suppress(SQLAlchemyError, LeadershipLost),
        fenced(worker.engine, worker.lease.fence) as conn,
    ):
        upsert(conn, table_of(SchedulerState), rows, keys=["key"])


def keep_lease(worker: Worker) -> bool:
    """Renew or take the lease; write down who leads. True while this process leads."""
    was_leading = worker.lease.leading
    if not worker.lease.try_acquire():
        if worker.stream is not None and worker.stream.running:
            log.info("closing the trade stream: this process no longer leads")
            worker.stream.stop()
        return False
    if not was_leading:
        now = utcnow()
        history = worker.backfill.history_source
        rows = [
            {"key": LEADER, "value": worker.lease.holder, "updated_at": now},
            {"key": DAILY_HISTORY, "value": history, "updated_at": now},
        ]
        try:
            with fenced(worker.engine, worker.lease.fence) as conn:
                upsert(conn, table_of(SchedulerState), rows, keys=["key"])
        except (LeadershipLost, SQLAlchemyError) as error:
            log.warning("could not publish the leader: %s", type(error).__name__)
            return worker.lease.leading
    return True


def run_cycle(worker: Worker, pace: bool) -> None:
    """One refresh cycle if this process leads (leadership is checked first)."""
    if not keep_lease(worker):
        return
    try:
        summary = worker.refresher.run_cycle(pace=pace)
    except LeadershipLost as lost:
        log.warning("cycle stopped: %s", lost)
        return
    except SQLAlchemyError as error:
        database_trouble(worker, "cycle failed", error)
        return
    except Exception:  # the process must outlive any one cycle
        log.exception("cycle failed")
        return
    if not summary.tracked:
        return  # the refresher said so once
    line = summary.log_line()
    level = worker.cycle_log.level(line)
    log.log(level, line)
    error_level = logging.WARNING if level == logging.INFO else logging.DEBUG
    for symbol, problem in sorted(summary.errors.items()):
        log.log(error_level, "%s: %s", symbol, problem)


def housekeeping(worker: Worker) -> None:
    """Off the fetch path: roll old price history up, forget spent requests and failed
    logins too old to count."""
    if not worker.lease.leading:
        return
    try:
        removed = roll_up(worker.engine, utcnow(), timedelta(days=worker.settings.history_days))
        record_todays_bars(worker.engine, worker.lease.fence)
        if worker.refresher.budget is not None:
            worker.refresher.budget.prune()
        sessions.forget_failures_before(worker.engine, utcnow() - sessions.LOCK_WINDOW)
        sessions.forget_logins_before(worker.engine, utcnow())
    except SQLAlchemyError as error:
        database_trouble(worker, "housekeeping failed", error)
        return
    if removed:
        log.info("rolled up %d old history points", removed)


def backfill_history(worker: Worker) -> None:
    """Off the fetch path: fetch the daily history of symbols tracked without one."""
    if not worker.lease.leading:
        return
    try:
        worker.backfill.run(worker.refresher.tracked())
    except LeadershipLost as lost:
        log.warning("history backfill stopped: %s", lost)
    except SQLAlchemyError as error:
        database_trouble(worker, "history backfill paused", error)


def deliver_alerts(worker: Worker) -> None:
    """Off the fetch path: start sending the alert notifications that are due."""
    if not worker.lease.leading:
        return
    try:
        worker.deliverer.start_due()
    except SQLAlchemyError as error:
        database_trouble(worker, "alert delivery paused", error)


def answer_requests(worker: Worker, run_now: Callable[[], None]) -> None:
    """Answer people's symbol searches, and run a cycle at once when an admin asked for one
    since the last look."""
    if not worker.lease.leading:
        return
    try:
        answer_searches(worker.engine, worker.provider, utcnow, worker.lease.fence)
        requested = cycle_request(worker.engine)
    except LeadershipLost as lost:
        log.warning("requests left unanswered: %s", lost)
        return
    except SQLAlchemyError as error:
        database_trouble(worker, "requests left unanswered", error)
        return
    if requested is not None and requested != worker.answered_request:
        worker.answered_request = requested
        log.info("a cycle was requested from the status page: running one now")
        run_now()


def keep_stream(worker: Worker) -> None:
    """Run the trade stream while this process leads, following the tracked symbols; close it
    the moment it does not."""
    stream = worker.stream
    if stream is None:
        return
    if not worker.lease.leading:
        if stream.running:
            stream.stop()
        return
    try:
        stream.follow(worker.refresher.tracked())
    except SQLAlchemyError as error:
        database_trouble(worker, "trade stream kept its symbols", error)
    stream.start()


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
