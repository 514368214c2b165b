"""Symbol search: listing details in the catalog, and people's searches for the scheduler.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

LISTING_COLUMNS = {"kind": 32, "region": 64, "market_open": 8, "market_close": 8, "timezone": 16}


def upgrade() -> None:
    with op.batch_alter_table("symbols") as batch:
        for name, length in LISTING_COLUMNS.items():
            batch.add_column(sa.Column(name, AutoString(length=length), nullable=True))
    op.create_table(
        "symbol_searches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("keywords", AutoString(length=40), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("found", sa.Integer(), nullable=True),
        sa.Column("error", AutoString(length=300), nullable=True),
    )
    op.create_index("ix_symbol_searches_answered_at", "symbol_searches", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_symbol_searches_answered_at", table_name="symbol_searches")
    op.drop_table("symbol_searches")
    with op.batch_alter_table("symbols") as batch:
        for name in LISTING_COLUMNS:
            batch.drop_column(name)
