"""Engines: statements past the time limit are cancelled on both databases; SQLite's pragmas."""

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from stockmon.domain.db import SQLITE_PAGE_CACHE_KIB, make_engine

SLOW_SQL = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT count(*) FROM n",
    "postgresql": "SELECT pg_sleep(5)",
}


def test_a_statement_past_the_time_limit_is_cancelled(database_url):
    limited = make_engine(database_url, statement_seconds=0.2)
    try:
        with limited.connect() as conn:
            started = time.monotonic()
            with pytest.raises(OperationalError):
                conn.execute(text(SLOW_SQL[limited.dialect.name]))
            assert time.monotonic() - started < 4
        with limited.connect() as conn:  # the engine goes on serving quick statements
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        limited.dispose()


def test_every_sqlite_connection_uses_wal_and_a_small_page_cache(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_PAGE_CACHE_KIB
