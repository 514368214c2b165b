"""Engines: statements past the time limit are cancelled on both databases."""

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from stockmon.domain.db import make_engine

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
