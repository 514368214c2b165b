"""Data plane: quotes, price history, symbol catalog and scheduler bookkeeping.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quotes",
        sa.Column("symbol", AutoString(length=16), primary_key=True),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("open", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("previous_close", sa.Float(), nullable=True),
        sa.Column("change", sa.Float(), nullable=True),
        sa.Column("change_percent", sa.Float(), nullable=True),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.Column("latest_trading_day", sa.Date(), nullable=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "price_history",
        sa.Column("symbol", AutoString(length=16), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint(
            "symbol", "ts", name="pk_price_history", postgresql_include=["price"]
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "symbols",
        sa.Column("symbol", AutoString(length=16), primary_key=True),
        sa.Column("name", AutoString(length=200), nullable=False),
        sa.Column("exchange", AutoString(length=32), nullable=False),
        sa.Column("currency", AutoString(length=8), nullable=False),
    )
    op.create_table(
        "fetch_status",
        sa.Column("symbol", AutoString(length=16), primary_key=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", AutoString(length=500), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("retry_after", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "api_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("provider", AutoString(length=32), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_api_requests_provider_sent_at", "api_requests", ["provider", "sent_at"])
    op.create_table(
        "scheduler_state",
        sa.Column("key", AutoString(length=64), primary_key=True),
        sa.Column("value", AutoString(length=500), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "scheduler_state",
        "api_requests",
        "fetch_status",
        "symbols",
        "price_history",
        "quotes",
    ):
        op.drop_table(table)
