"""Database trouble, named: a full disk, a read-only database, a busy one and an unreachable
server are different troubles, and the scheduler's log, its heartbeat and the pages say which,
never "is it running?" for a scheduler that runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from stockmon.app.dashboard import why_late
from stockmon.app.heartbeat import scheduler_status
from stockmon.domain import accounts
from stockmon.domain.db import make_engine, upsert
from stockmon.domain.db_trouble import Trouble, probe, trouble_of
from stockmon.domain.models import LAST_CYCLE_AT, TROUBLE, TROUBLE_AT, SchedulerState, utcnow
from stockmon.domain.schema import prepare_database
from stockmon.domain.watchlists import save_picks
from tests.conftest import POSTGRES_URL, subprocess_environment

ROOT = Path(__file__).resolve().parent.parent


class DriverError(Exception):
    """A driver exception carrying the codes psycopg and sqlite3 give."""

    def __init__(self, text: str, sqlstate: str | None = None, name: str | None = None):
        super().__init__(text)
        self.sqlstate, self.sqlite_errorname = sqlstate, name


@pytest.mark.parametrize(
    ("cause", "trouble"),
    [
        (DriverError("database or disk is full", name="SQLITE_FULL"), Trouble.DISK_FULL),
        (DriverError("attempt to write a readonly database", name="SQLITE_READONLY_DIRECTORY"),
         Trouble.READ_ONLY),
        (DriverError("database is locked", name="SQLITE_BUSY"), Trouble.BUSY),
        (DriverError("could not extend file: No space left on device", "53100"),
         Trouble.DISK_FULL),
        (DriverError("cannot execute INSERT in a read-only transaction", "25006"),
         Trouble.READ_ONLY),
        (DriverError("canceling statement due to lock timeout", "55P03"), Trouble.BUSY),
        (DriverError("canceling statement due to statement timeout", "57014"), Trouble.BUSY),
        (DriverError("terminating connection due to administrator command", "57P01"),
         Trouble.UNREACHABLE),
        (DriverError('connection to server at "127.0.0.1", port 1 failed: Connection refused'),
         Trouble.UNREACHABLE),
        (DriverError("something new"), Trouble.OTHER),
    ],
)  # fmt: skip
def test_each_driver_error_is_named(cause, trouble):
    assert trouble_of(OperationalError("INSERT ...", {}, cause)) is trouble


def test_an_unreachable_server_is_named_so():
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(OperationalError) as failure:
        engine.connect()
    assert trouble_of(failure.value) is Trouble.UNREACHABLE
    assert probe(engine) is Trouble.UNREACHABLE


def test_a_trouble_the_scheduler_wrote_down_explains_its_silence(engine):
    now = utcnow()
    rows = [
        {"key": LAST_CYCLE_AT, "value": (now - timedelta(hours=1)).isoformat()},
        {"key": TROUBLE, "value": "busy"},
        {"key": TROUBLE_AT, "value": now.isoformat()},
    ]
    with engine.begin() as conn:
        upsert(conn, SchedulerState.__table__, [r | {"updated_at": now} for r in rows], ["key"])
    status = scheduler_status(engine)
    assert why_late(status, None).startswith("The database is busy")
    assert why_late(status, Trouble.DISK_FULL).startswith("The disk holding the database")
    quiet = scheduler_status(engine).__class__(**(vars(status) | {"trouble_at": None}))
    assert why_late(quiet, None) == "Is it running?"


@pytest.fixture
def full_disk(tmp_path) -> Iterator[Path]:
    """A folder on an 8 MiB tmpfs of its own, room for the migrated database and its WAL
    (skipped where this process may not mount one)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", f"stockmon-{uuid.uuid4().hex[:6]}", folder],
        capture_output=True,
        text=True,
    ) if shutil.which("mount") and os.geteuid() == 0 else None  # fmt: skip
    if mounted is None or mounted.returncode != 0:
        pytest.skip("a full filesystem needs a tmpfs mount, which only root may make here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", folder], check=False)


def fill(folder: Path) -> None:
    """Take every free byte of ``folder``'s filesystem (none left already: done)."""
    try:
        with open(folder / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
    except OSError:
        pass


def test_a_full_disk_is_named_by_the_scheduler_and_the_pages(full_disk):
    url = f"sqlite:///{full_disk / 'stockmon.db'}"
    engine = make_engine(url)
    prepare_database(engine)
    person = accounts.create_user(engine, "ann", "Ann", "ann@example.com", "sup3rsecret")
    save_picks(engine, person.id, ["AAPL", "MSFT"])
    engine.dispose()
    fill(full_disk)
    environment = subprocess_environment(
        STOCKMON_DATABASE_URL=url, STOCKMON_PROVIDER="demo", STOCKMON_DATA_DIR=str(full_disk)
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "scheduler.py"), "--once"],
        cwd=full_disk.parent, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert "the disk holding the database is full" in said, said
    assert "another stockmon process leads" not in said and "Traceback" not in said
    assert probe(make_engine(url)) is Trouble.DISK_FULL


def test_the_dashboard_names_a_full_disk(full_disk, monkeypatch):
    import streamlit as st

    from tests.test_app import logged_in_app

    url = f"sqlite:///{full_disk / 'stockmon.db'}"
    engine = make_engine(url)
    prepare_database(engine)
    person = accounts.create_user(engine, "ann", "Ann", "ann@example.com", "sup3rsecret")
    save_picks(engine, person.id, ["AAPL"])
    late = utcnow() - timedelta(hours=1)
    with engine.begin() as conn:
        upsert(
            conn,
            SchedulerState.__table__,
            [{"key": LAST_CYCLE_AT, "value": late.isoformat(), "updated_at": late}],
            ["key"],
        )
    engine.dispose()
    for name, value in {"STOCKMON_DATABASE_URL": url, "STOCKMON_DATA_DIR": str(full_disk),
                        "STOCKMON_PROVIDER": "demo",
                        "STOCKMON_COOKIE_KEY": "c" * 40}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = logged_in_app()  # its login row written before the disk fills
    fill(full_disk)
    st.cache_data.clear()
    at.run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "The disk holding the database is full" in warnings, warnings
    assert "Is it running?" not in warnings
    st.cache_resource.clear()


def test_a_read_only_postgresql_server_is_seen():
    engine = create_engine(
        POSTGRES_URL, connect_args={"options": "-c default_transaction_read_only=on"}
    )
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable: {error}")
    assert probe(engine) is Trouble.READ_ONLY
    engine.dispose()
