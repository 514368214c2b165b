"""The stockmon scheduler: fetches quotes on an interval and writes them to the shared database.

python scheduler.py          # run until SIGINT/SIGTERM: lead, or stand by while another leads
python scheduler.py --once   # one cycle within the current budget, then exit (cron-friendly)
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import UTC

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.exc import SQLAlchemyError

from stockmon.domain import db_trouble, redaction
from stockmon.domain.config import ConfigError, load_settings
from stockmon.domain.db import make_engine
from stockmon.scheduler.delivery import deliver_due
from stockmon.scheduler.jobs import keep_lease, run_cycle
from stockmon.scheduler.leadership import HELD_ELSEWHERE, current_holder
from stockmon.scheduler.service import Worker, build_worker, release, schedule_jobs

log = logging.getLogger("stockmon.scheduler")


def run_forever(worker: Worker) -> None:
    settings = worker.settings
    stop = threading.Event()
    scheduler = BlockingScheduler(timezone=UTC)

    def shut_down(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGINT, shut_down)
    signal.signal(signal.SIGTERM, shut_down)

    schedule_jobs(scheduler, worker)
    log.info(
        "scheduler %s started: provider %s, every %ss, lease %ss",
        worker.lease.holder,
        settings.effective_provider.value,
        settings.refresh_seconds,
        settings.leader_lease_seconds,
    )
    if len(keys := settings.keys_set) > 1:
        log.info(
            "keys are set for %s: quotes come from %s (STOCKMON_PROVIDER=%s)",
            " and ".join(k.value for k in keys),
            settings.effective_provider.value,
            settings.provider.value,
        )
    try:
        if not stop.is_set():
            scheduler.start()
    finally:
        worker.deliverer.close()
        release(worker)
    log.info("scheduler stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="run one cycle and exit")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ...")
    args = parser.parse_args(argv)
    redaction.install()
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # one line per cycle is ours; APScheduler's own per-run lines would triple it
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.root.level))
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"stockmon: {error}", file=sys.stderr)
        return 2
    try:
        worker = build_worker(settings)
    except SQLAlchemyError as error:
        reason = redaction.redact(
            f"{type(error).__name__}: {getattr(error, 'orig', None) or error}"
        )[:300]
        words = db_trouble.sentence(error, make_engine(settings.database_url))
        print(f"stockmon: {words} ({reason})", file=sys.stderr)
        return 1
    if args.once:
        if not keep_lease(worker):
            why = worker.lease.standing_by_because
            if why != HELD_ELSEWHERE:
                print(f"stockmon: cannot lead: {why}", file=sys.stderr)
                return 1
            holder = current_holder(worker.engine)
            print(
                f"stockmon: another stockmon process leads on this database "
                f"({holder[0] if holder else 'unknown'})",
                file=sys.stderr,
            )
            return 3
        try:
            run_cycle(worker, pace=False)
            sent = deliver_due(worker.engine)
            if sent:
                log.info("delivered %d alert notification%s", sent, "s" * (sent != 1))
        finally:
            release(worker)
        return 0
    run_forever(worker)
    return 0


if __name__ == "__main__":
    sys.exit(main())
