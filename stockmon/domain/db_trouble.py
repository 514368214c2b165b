"""What is wrong with the database, in words: a full disk, a read-only database, a lock held
too long or an unreachable server are different troubles with different fixes, so the
scheduler's log, its heartbeat and the pages name each one."""

from __future__ import annotations

import os
import shutil
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

LOW_DISK_BYTES = 256 * 1024  # less free space than this beside a SQLite file: full


class Trouble(StrEnum):
    DISK_FULL = "disk full"
    READ_ONLY = "read-only"
    BUSY = "busy"
    UNREACHABLE = "unreachable"
    OTHER = "error"


SENTENCES = {
    Trouble.DISK_FULL: "the disk holding the database is full: free some space on it",
    Trouble.READ_ONLY: "the database is read-only: nothing can be stored until it is writable",
    Trouble.BUSY: "the database is busy: a lock or a statement took too long",
    Trouble.UNREACHABLE: "the database cannot be reached: is its server running?",
    Trouble.OTHER: "the database failed",
}
# PostgreSQL's SQLSTATEs, by their first characters
_SQLSTATES = (
    ("53100", Trouble.DISK_FULL),
    ("25006", Trouble.READ_ONLY),
    ("55P03", Trouble.BUSY),
    ("57014", Trouble.BUSY),
    ("40P01", Trouble.BUSY),
    ("08", Trouble.UNREACHABLE),
    ("57P", Trouble.UNREACHABLE),
)
_SQLITE_NAMES = (
    ("SQLITE_FULL", Trouble.DISK_FULL),
    ("SQLITE_READONLY", Trouble.READ_ONLY),
    ("SQLITE_BUSY", Trouble.BUSY),
    ("SQLITE_LOCKED", Trouble.BUSY),
    ("SQLITE_CANTOPEN", Trouble.UNREACHABLE),
)
_WORDING = (
    ("disk is full", Trouble.DISK_FULL),
    ("no space left", Trouble.DISK_FULL),
    ("readonly", Trouble.READ_ONLY),
    ("read-only", Trouble.READ_ONLY),
    ("database is locked", Trouble.BUSY),
    ("timeout", Trouble.BUSY),
    ("connection", Trouble.UNREACHABLE),
    ("could not connect", Trouble.UNREACHABLE),
)


_PG_READ_ONLY = "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"


def trouble_of(error: BaseException) -> Trouble:
    """The trouble a database error is, from the driver's code, else its wording."""
    cause = getattr(error, "orig", None) or error
    sqlstate = str(getattr(cause, "sqlstate", "") or "")
    name = str(getattr(cause, "sqlite_errorname", "") or "")
    words = str(cause).lower()
    return (
        _first(_SQLSTATES, sqlstate.startswith)
        or _first(_SQLITE_NAMES, name.startswith)
        or _first(_WORDING, words.__contains__)
        or Trouble.OTHER
    )


def _first(table: tuple[tuple[str, Trouble], ...], matches) -> Trouble | None:
    """The trouble of ``table``'s first key that ``matches``."""
    return next((trouble for key, trouble in table if matches(key)), None)


def explain(error: BaseException, engine: Engine) -> Trouble:
    """The trouble of an error met on ``engine``: what the error says, or, when it says no
    more than "failed" (SQLite's "disk I/O error" on a full disk), what a look shows."""
    trouble = trouble_of(error)
    if trouble is Trouble.OTHER:
        return probe(engine) or trouble
    return trouble


def sentence(error: BaseException, engine: Engine) -> str:
    return SENTENCES[explain(error, engine)]


def probe(engine: Engine) -> Trouble | None:
    """What reading alone can tell is wrong with ``engine``'s database for writers: the disk
    beside a SQLite file full, or the file, its folder or a PostgreSQL server read-only;
    None when nothing is seen (and for troubles only a write would show)."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            return None
        path = Path(database)
        if shutil.disk_usage(path.parent).free < LOW_DISK_BYTES:
            return Trouble.DISK_FULL
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            return Trouble.READ_ONLY
        return None
    try:
        with engine.connect() as conn:
            read_only = conn.execute(
                text(
                    "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"
                )
            ).scalar()
    except SQLAlchemyError as error:
        return trouble_of(error)
    return Trouble.READ_ONLY if read_only else None
