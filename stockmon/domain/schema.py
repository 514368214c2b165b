"""Start-up work every stockmon process does: migrate the schema, seed the symbol catalog."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from stockmon.domain.catalog import CatalogEntry, load_catalog
from stockmon.domain.db import insert_ignoring_duplicates
from stockmon.domain.locks import exclusive_lock
from stockmon.domain.models import Symbol, table_of

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (creating it on first start)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with exclusive_lock(engine, "migrate"), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def seed_catalog(engine: Engine, entries: Sequence[CatalogEntry] | None = None) -> None:
    """Add catalog symbols that are missing; rows already there are left as they are."""
    rows = [e.to_model().model_dump() for e in (entries if entries is not None else load_catalog())]
    with engine.begin() as conn:
        insert_ignoring_duplicates(conn, table_of(Symbol), rows)


def prepare_database(engine: Engine) -> None:
    """What every stockmon process runs at start-up: migrate, then seed the catalog."""
    migrate(engine)
    seed_catalog(engine)
