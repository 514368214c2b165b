"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from stockmon.domain.models import SQLModel
from stockmon.domain.schema import migrate, prepare_database


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert compare_metadata(context, SQLModel.metadata) == []


def test_start_up_is_idempotent(engine):
    prepare_database(engine)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"quotes", "price_history", "symbols", "fetch_status", "users", "watchlists"} <= tables


def test_price_history_is_indexed_for_recent_points(engine):
    key = inspect(engine).get_pk_constraint("price_history")
    assert key["constrained_columns"] == ["symbol", "ts"]
