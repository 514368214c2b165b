"""Named locks shared by every stockmon process on one database. ``exclusive_lock``
serializes schema migrations: on PostgreSQL a session-level advisory lock (the server releases
it if its holder dies); on SQLite a ``filelock`` beside the database file (the OS releases it
likewise). ``transaction_lock`` makes one transaction's read-then-write a single step.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


@contextmanager
def exclusive_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock ``name`` on this database for the duration of the block, waiting for it."""
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"stockmon.{name}".encode())
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            conn.commit()
            try:
                yield
            finally:
                _unlock(conn, key)
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with FileLock(f"{database}.{name}.lock"):
        yield


def _unlock(conn: Connection, key: int) -> None:
    # Never let a failed unlock hide the error that ended the block: a lost connection has
    # released the lock with its session anyway.
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        conn.commit()
    except SQLAlchemyError as error:
        log.warning("could not release a lock (%s); its session's end releases it", error)


@contextmanager
def transaction_lock(conn: Connection, name: str, sqlite_name: str) -> Iterator[None]:
    """Hold the lock ``name`` until ``conn``'s transaction ends: on PostgreSQL a transaction
    advisory lock; on SQLite, whose writers are serial anyway, the file lock ``sqlite_name``
    (one name for many keys, so a stranger's words never make lock files)."""
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(f"stockmon.{name}".encode())
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        yield
        return
    database = conn.engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with FileLock(f"{database}.{sqlite_name}.lock"):
        yield
