"""Engines for SQLite and PostgreSQL, and the two write statements everything shares."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.default import DefaultDialect


def make_engine(
    url: str,
    *,
    idle_transaction_seconds: float | None = None,
    statement_seconds: float | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout: readers never block the writer.

    ``idle_transaction_seconds`` (PostgreSQL): the server ends a session that sits idle inside a
    transaction that long, so a frozen process cannot hold its row locks forever.
    ``statement_seconds``: a statement running longer is cancelled with an ``OperationalError``
    (PostgreSQL's ``statement_timeout``; on SQLite a progress handler interrupts it).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if statement_seconds:
            _limit_sqlite_statements(engine, statement_seconds)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_pre_ping=True, **kwargs)
    idle_ms = int(idle_transaction_seconds * 1000) if idle_transaction_seconds else 0
    statement_ms = int(statement_seconds * 1000) if statement_seconds else 0

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Timestamps come back in the session's time zone; in UTC psycopg tags them with
        # datetime.UTC, which is much cheaper to convert than a named zone.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            if idle_ms:
                cursor.execute(f"SET idle_in_transaction_session_timeout = {idle_ms}")
            if statement_ms:
                cursor.execute(f"SET statement_timeout = {statement_ms}")
        dbapi_connection.commit()

    event.listen(engine, "connect", on_connect)
    return engine


def _limit_sqlite_statements(engine: Engine, seconds: float) -> None:
    """Interrupt any statement that runs past ``seconds`` (SQLite has no statement timeout:
    a progress handler, called every few thousand virtual-machine steps, checks the clock)."""

    def started(conn: Connection, *_args: Any) -> None:
        _sqlite_of(conn).set_progress_handler(_deadline_checker(time.monotonic() + seconds), 10_000)

    def finished(conn: Connection, *_args: Any) -> None:
        _sqlite_of(conn).set_progress_handler(None, 0)

    event.listen(engine, "before_cursor_execute", started)
    event.listen(engine, "after_cursor_execute", finished)


def _sqlite_of(conn: Connection) -> sqlite3.Connection:
    """The driver's connection under a checked-out SQLite connection."""
    return cast(sqlite3.Connection, conn.connection.dbapi_connection)


def _deadline_checker(deadline: float) -> Callable[[], int]:
    return lambda: int(time.monotonic() > deadline)  # non-zero interrupts the statement


SQLITE_PAGE_CACHE_KIB = 256
"""Each pooled connection's page cache. SQLite's default (2 MiB) fills as the file grows, and
over a pool of connections that was the scheduler's slow memory growth; the operating system's
file cache serves the pages again as fast."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=30000",
        "foreign_keys=ON",
        f"cache_size=-{SQLITE_PAGE_CACHE_KIB}",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


UpsertingInsert = postgresql.Insert | sqlite.Insert


def insert_for(dialect: Dialect, table: Table) -> UpsertingInsert:
    """A dialect-specific INSERT that offers ``on_conflict_do_update`` / ``do_nothing``."""
    if dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignoring_duplicates(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows``, skipping those that break a unique constraint."""
    _execute_many(conn, table, (), rows)


def upsert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert ``rows``, or update every non-key column of the rows whose ``keys`` already exist.

    Every row must have the same keys.
    """
    _execute_many(conn, table, tuple(keys), rows)


def _execute_many(
    conn: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> None:
    # The hot path of every refresh cycle: the statement is compiled once, and the rows go to the
    # driver's executemany with each column's bind conversion applied once per distinct value
    # (a batch shares its timestamps), instead of SQLAlchemy's per-row parameter processing.
    if not rows:
        return
    bulk = _BulkInsert.compile(conn.dialect, table, keys, tuple(rows[0]))
    conn.exec_driver_sql(bulk.sql, bulk.parameters(rows))


@dataclass(frozen=True)
class _BulkInsert:
    sql: str
    names: tuple[str, ...]
    positional: bool
    converters: tuple[Callable[[Any], Any] | None, ...]

    @staticmethod
    @lru_cache(maxsize=64)
    def compile(
        dialect: Dialect, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]
    ) -> _BulkInsert:
        statement = insert_for(dialect, table)
        if keys:
            updates = {c: statement.excluded[c] for c in columns if c not in keys}
            statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
        else:
            statement = statement.on_conflict_do_nothing()
        if not dialect.positional:  # psycopg binds positional parameters faster than named ones
            dialect = cast(type[DefaultDialect], type(dialect))(paramstyle="format")
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup or ()) if compiled.positional else columns
        converters = tuple(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        return _BulkInsert(compiled.string, names, compiled.positional, converters)

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        memo: list[tuple[Any, Any]] = [(object(), None)] * len(self.names)
        converted_rows = []
        for row in rows:
            values = []
            for index, (name, convert) in enumerate(zip(self.names, self.converters, strict=True)):
                value = row[name]
                if convert is not None:
                    seen, converted = memo[index]
                    if value is not seen:
                        converted = convert(value)
                        memo[index] = (value, converted)
                    value = converted
                values.append(value)
            converted_rows.append(
                tuple(values) if self.positional else dict(zip(self.names, values, strict=True))
            )
        return converted_rows
