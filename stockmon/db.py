"""Engines for SQLite and PostgreSQL, schema migrations and the catalog seed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event
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
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


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


def insert_for(engine_or_dialect: Any, table: Any) -> Insert:
    """A dialect-specific INSERT that offers ``on_conflict_do_update`` / ``do_nothing``."""
    name = getattr(engine_or_dialect, "name", engine_or_dialect)
    module = postgresql if name == "postgresql" else sqlite
    return module.insert(table)


def upsert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert ``rows``, or update every non-key column of the rows whose ``keys`` already exist."""
    if not rows:
        return
    statement = insert_for(conn.dialect, table)
    updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)


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
        conn.execute(insert_for(engine, Symbol.__table__).on_conflict_do_nothing(), rows)


def prepare_database(engine: Engine) -> None:
    """What every stockmon process runs at start-up: migrate, then seed the catalog."""
    migrate(engine)
    seed_catalog(engine)
