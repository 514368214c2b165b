"""Helpers shared by the benchmarks: throwaway databases on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from stockmon.domain.db import make_engine
from stockmon.domain.schema import prepare_database

POSTGRES_URL = os.environ.get(
    "STOCKMON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        prepare_database(engine)
        yield engine
        engine.dispose()


@contextmanager
def postgres_engine() -> Iterator[Engine | None]:
    """An engine on a schema of its own, or None when PostgreSQL is not reachable."""
    admin = create_engine(POSTGRES_URL)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # no server: the benchmark says so and goes on
        print(f"PostgreSQL skipped: {type(error).__name__}")
        yield None
        return
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        prepare_database(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def each_database() -> Iterator[tuple[str, Engine]]:
    """(name, engine on a fresh database): SQLite, then PostgreSQL when it is reachable."""
    for name, context in (("sqlite", sqlite_engine()), ("postgresql", postgres_engine())):
        with context as engine:
            if engine is not None:
                yield name, engine
