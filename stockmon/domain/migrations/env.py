"""Alembic environment: the connection stockmon hands over, or the configured database."""

from alembic import context

from stockmon.domain.models import SQLModel

target_metadata = SQLModel.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from stockmon.domain.config import load_settings
    from stockmon.domain.db import make_engine

    with make_engine(load_settings().database_url).begin() as conn:
        _run(conn)
