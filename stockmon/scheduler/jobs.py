"""The scheduler's jobs, each run on its own interval by ``service.schedule_jobs``: keeping the
lease, refresh cycles, housekeeping, history backfill, alert delivery, people's requests and the
trade stream. Every job acts only while this process leads, and a job's failure is logged (the
database's trouble in words), never raised: the process must outlive any one run.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from stockmon.domain import db_trouble, sessions
from stockmon.domain.db import upsert
from stockmon.domain.models import (
    CYCLE_REQUESTED_AT,
    DAILY_HISTORY,
    LEADER,
    TROUBLE,
    TROUBLE_AT,
    SchedulerState,
    table_of,
    utcnow,
)
from stockmon.providers.base import ProfileProvider
from stockmon.scheduler.backfill import record_todays_bars
from stockmon.scheduler.discovery import answer_searches, describe_listings
from stockmon.scheduler.leadership import LeadershipLost, fenced
from stockmon.scheduler.retention import roll_up

if TYPE_CHECKING:
    from stockmon.scheduler.service import Worker

log = logging.getLogger("stockmon.scheduler")


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


@contextlib.contextmanager
def guarded(worker: Worker, what: str) -> Iterator[None]:
    """Run a job's work, logging why it stopped instead of raising: a lost lease, the
    database's trouble (in words, written down for the pages) or anything unforeseen."""
    try:
        yield
    except LeadershipLost as lost:
        log.warning("%s: %s", what, lost)
    except SQLAlchemyError as error:
        database_trouble(worker, what, error)
    except Exception:  # the process must outlive any one run
        log.exception(what)


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
    with guarded(worker, "cycle stopped"):
        summary = worker.refresher.run_cycle(pace=pace)
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
    with guarded(worker, "housekeeping failed"):
        removed = roll_up(worker.engine, utcnow(), timedelta(days=worker.settings.history_days))
        record_todays_bars(worker.engine, worker.lease.fence)
        if worker.refresher.budget is not None:
            worker.refresher.budget.prune()
        sessions.forget_failures_before(worker.engine, utcnow() - sessions.LOCK_WINDOW)
        sessions.forget_logins_before(worker.engine, utcnow())
        if removed:
            log.info("rolled up %d old history points", removed)


def backfill_history(worker: Worker) -> None:
    """Off the fetch path: fetch the daily history of symbols tracked without one, and what a
    provider that needs asking says about the listings searches found."""
    if not worker.lease.leading:
        return
    with guarded(worker, "history backfill paused"):
        tracked = worker.refresher.tracked()
        worker.backfill.run(tracked)
        if isinstance(worker.provider, ProfileProvider):
            describe_listings(worker.engine, worker.provider, tracked, utcnow, worker.lease.fence)


def deliver_alerts(worker: Worker) -> None:
    """Off the fetch path: start sending the alert notifications that are due."""
    if not worker.lease.leading:
        return
    with guarded(worker, "alert delivery paused"):
        worker.deliverer.start_due()


def answer_requests(worker: Worker, run_now: Callable[[], None]) -> None:
    """Answer people's symbol searches, and run a cycle at once when an admin asked for one
    since the last look."""
    if not worker.lease.leading:
        return
    with guarded(worker, "requests left unanswered"):
        answer_searches(worker.engine, worker.provider, utcnow, worker.lease.fence)
        requested = cycle_request(worker.engine)
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
    with guarded(worker, "trade stream kept its symbols"):
        stream.follow(worker.refresher.tracked())
    stream.start()
