"""The scheduler inside the app's server process, for hosts that only run ``streamlit run``.

The one place the app reaches into the scheduler's side (the architecture contracts name it).
"""

from __future__ import annotations

import atexit
import logging
from datetime import UTC

import streamlit as st
from apscheduler.schedulers.background import BackgroundScheduler

from stockmon.app import ui
from stockmon.domain import redaction
from stockmon.scheduler.service import build_worker, release, schedule_jobs

log = logging.getLogger("stockmon.app")


@st.cache_resource(show_spinner=False)
def _embedded_scheduler() -> None:
    """The scheduler's jobs in one background thread of this server process, whatever the
    number of browser sessions; it takes the same lease as ``scheduler.py`` would."""
    redaction.install()
    ui.engine()  # the schema and the app's logging first
    worker = build_worker(ui.settings())
    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    schedule_jobs(scheduler, worker)
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=False)
        worker.deliverer.close()
        release(worker)

    atexit.register(stop)
    log.info("embedded scheduler %s started: every %ss", worker.lease.holder,
             ui.settings().refresh_seconds)  # fmt: skip


def run_embedded_scheduler() -> None:
    """With ``STOCKMON_EMBEDDED_SCHEDULER``, make sure this process runs the scheduler's jobs
    (for hosts that only run ``streamlit run``); otherwise nothing."""
    if ui.settings().embedded_scheduler:
        _embedded_scheduler()
