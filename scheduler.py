"""The stockmon scheduler: fetches quotes on an interval and writes them to the shared database.

python scheduler.py          # run until SIGINT/SIGTERM, one refresh cycle per interval
python scheduler.py --once   # one cycle within the current budget, then exit (cron-friendly)
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.exc import SQLAlchemyError

from stockmon.budget import Limits
from stockmon.config import ConfigError, Settings, load_settings
from stockmon.db import make_engine, prepare_database
from stockmon.ingest import Refresher
from stockmon.locks import LockHeld, exclusive_lock
from stockmon.providers import DemoProvider, make_provider
from stockmon.queries import stored_quotes

log = logging.getLogger("stockmon.scheduler")


def build_refresher(settings: Settings) -> Refresher:
    engine = make_engine(settings.database_url)
    prepare_database(engine)
    provider = make_provider(settings)
    if isinstance(provider, DemoProvider):
        provider.resume(stored_quotes(engine))
    return Refresher(engine, provider, Limits.from_settings(settings), settings.symbols)


def run_cycle(refresher: Refresher, pace: bool) -> None:
    try:
        summary = refresher.run_cycle(pace=pace)
    except SQLAlchemyError as error:
        log.error("cycle failed, database unavailable: %s", error.__class__.__name__)
        return
    log.info(summary.log_line())
    for symbol, error in sorted(summary.errors.items()):
        log.warning("%s: %s", symbol, error)


def run_forever(refresher: Refresher, settings: Settings) -> None:
    stop = threading.Event()
    scheduler = BlockingScheduler(timezone=UTC)

    def shut_down(signum: int, _frame: object) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGINT, shut_down)
    signal.signal(signal.SIGTERM, shut_down)
    try:
        with exclusive_lock(refresher.engine, "scheduler", stop=stop):
            scheduler.add_job(
                run_cycle,
                "interval",
                args=(refresher, True),
                seconds=settings.refresh_seconds,
                next_run_time=datetime.now(UTC),
                coalesce=True,
                max_instances=1,
                misfire_grace_time=settings.refresh_seconds,
                id="refresh",
            )
            log.info(
                "scheduler started: provider %s, every %ss",
                settings.effective_provider.value,
                settings.refresh_seconds,
            )
            if not stop.is_set():
                scheduler.start()
    except LockHeld:
        pass
    log.info("scheduler stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="run one cycle and exit")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ...")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # one line per cycle is ours; APScheduler's own per-run lines would triple it
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.root.level))
    try:
        settings = load_settings()
        refresher = build_refresher(settings)
    except ConfigError as error:
        print(f"stockmon: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(
            f"stockmon: cannot open the database: {type(error).__name__}: {error.orig or error}",
            file=sys.stderr,
        )
        return 1
    if args.once:
        try:
            with exclusive_lock(refresher.engine, "scheduler", wait=False):
                run_cycle(refresher, pace=False)
        except LockHeld as error:
            print(f"stockmon: {error}", file=sys.stderr)
            return 3
        return 0
    run_forever(refresher, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
