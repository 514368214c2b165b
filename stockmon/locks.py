"""Named locks shared by every stockmon process on one database.

They keep one scheduler active per database (two spending one API budget would each believe
they own it; the others wait as hot standbys) and serialize schema migrations. On PostgreSQL a
session-level advisory lock, released by the server if its holder dies; on SQLite an exclusive
``flock`` on a file beside the database.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)


class LockHeld(RuntimeError):
    """Another process holds the lock."""


@contextmanager
def exclusive_lock(
    engine: Engine,
    name: str,
    *,
    wait: bool = True,
    poll_seconds: float = 5.0,
    stop: threading.Event | None = None,
) -> Iterator[None]:
    """Hold the lock ``name`` on this database for the duration of the block.

    ``wait=False`` raises ``LockHeld`` at once when another process holds it; otherwise this
    polls until the lock is free (or ``stop`` is set, which also raises ``LockHeld``).
    """
    acquire = _postgres_lock if engine.dialect.name == "postgresql" else _file_lock
    with acquire(engine, name, wait, poll_seconds, stop or threading.Event()):
        yield


def _wait_or_give_up(
    name: str, wait: bool, poll_seconds: float, stop: threading.Event, announced: bool
) -> None:
    if not wait:
        raise LockHeld(f"another stockmon process holds the {name!r} lock on this database")
    if not announced:
        log.info("another process holds the %r lock on this database; waiting", name)
    if stop.wait(poll_seconds):
        raise LockHeld(f"stopped while waiting for the {name!r} lock")


@contextmanager
def _postgres_lock(
    engine: Engine, name: str, wait: bool, poll_seconds: float, stop: threading.Event
) -> Iterator[None]:
    key = zlib.crc32(f"stockmon.{name}".encode())
    with engine.connect() as conn:
        announced = False
        while not conn.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
        ).scalar_one():
            conn.commit()
            _wait_or_give_up(name, wait, poll_seconds, stop, announced)
            announced = True
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()


@contextmanager
def _file_lock(
    engine: Engine, name: str, wait: bool, poll_seconds: float, stop: threading.Event
) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.{name}.lock", "w") as handle:
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                _wait_or_give_up(name, wait, poll_seconds, stop, announced)
                announced = True
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
