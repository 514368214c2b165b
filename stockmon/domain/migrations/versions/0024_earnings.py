"""Earnings dates: each tracked symbol's next report, from the provider's calendar.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "earnings",
        sa.Column("symbol", AutoString(length=16), primary_key=True),
        sa.Column("report_day", sa.Date(), nullable=True),
        sa.Column("report_time", AutoString(length=24), nullable=False),
        sa.Column("fiscal_end", sa.Date(), nullable=True),
        sa.Column("estimate", sa.Float(), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("error", AutoString(length=300), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("earnings")
