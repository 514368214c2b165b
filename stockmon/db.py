"""Engines for SQLite and PostgreSQL, schema migrations and the catalog seed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Dialect, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Insert

from stockmon.catalog import CatalogEntry, load_catalog
from stockmon.locks import exclusive_lock
from stockmon.models import Symbol

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout: readers never block the writer."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_pre_ping=True, **kwargs)
    event.listen(engine, "connect", _postgres_utc)
    return engine


def _postgres_utc(dbapi_connection: Any, _record: Any) -> None:
    # Timestamps come back in the session's time zone; in UTC psycopg tags them with
    # datetime.UTC, which is much cheaper to convert than a named zone.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=30000",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def insert_for(dialect: Dialect, table: Table) -> Insert:
    """A dialect-specific INSERT that offers ``on_conflict_do_update`` / ``do_nothing``."""
    module = postgresql if dialect.name == "postgresql" else sqlite
    return module.insert(table)


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
            dialect = type(dialect)(paramstyle="format")
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup) if compiled.positional else columns
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


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (creating it on first start)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with exclusive_lock(engine, "migrate", poll_seconds=0.2), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def seed_catalog(engine: Engine, entries: Sequence[CatalogEntry] | None = None) -> None:
    """Add catalog symbols that are missing; rows already there are left as they are."""
    rows = [e.to_model().model_dump() for e in (entries if entries is not None else load_catalog())]
    with engine.begin() as conn:
        insert_ignoring_duplicates(conn, Symbol.__table__, rows)


def prepare_database(engine: Engine) -> None:
    """What every stockmon process runs at start-up: migrate, then seed the catalog."""
    migrate(engine)
    seed_catalog(engine)
