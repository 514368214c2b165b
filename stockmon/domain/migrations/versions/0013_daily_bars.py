"""Daily history: daily bars, and the backfill's bookkeeping per symbol.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_bars",
        sa.Column("symbol", AutoString(length=16), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("open", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("close", sa.Float(), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=True),
    )
    with op.batch_alter_table("fetch_status") as batch:
        batch.add_column(sa.Column("history_attempt_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("history_loaded_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("history_error", AutoString(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fetch_status") as batch:
        batch.drop_column("history_error")
        batch.drop_column("history_loaded_at")
        batch.drop_column("history_attempt_at")
    op.drop_table("daily_bars")
