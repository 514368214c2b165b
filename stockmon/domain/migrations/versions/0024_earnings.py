"""Earnings dates: each tracked symbol's next report, from the provider's calendar, and a
partial index on earnings alert rules (whether any exists is one seek).

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


EARNINGS_KINDS_SQL = "kind IN ('earnings')"


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
    op.create_index(
        "ix_alert_rules_earnings_kinds",
        "alert_rules",
        ["kind"],
        sqlite_where=sa.text(EARNINGS_KINDS_SQL),
        postgresql_where=sa.text(EARNINGS_KINDS_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_alert_rules_earnings_kinds", table_name="alert_rules")
    op.drop_table("earnings")
