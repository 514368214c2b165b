"""Price alerts: rules and the events they fire.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("symbol", AutoString(length=16), nullable=False),
        sa.Column("kind", AutoString(length=16), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("note", AutoString(length=200), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("one_shot", sa.Boolean(), nullable=False),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_fired_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_alert_rules_symbol", "alert_rules", ["symbol"])
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rule_id", sa.Integer(), sa.ForeignKey("alert_rules.id", ondelete="SET NULL")),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("symbol", AutoString(length=16), nullable=False),
        sa.Column("kind", AutoString(length=16), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("change_percent", sa.Float(), nullable=True),
        sa.Column("note", AutoString(length=200), nullable=False),
        sa.Column("quote_at", UTCDateTime(), nullable=False),
        sa.Column("fired_at", UTCDateTime(), nullable=False),
        sa.Column("seen", sa.Boolean(), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_alert_events_user_seen", "alert_events", ["user_id", "seen"])


def downgrade() -> None:
    op.drop_table("alert_events")
    op.drop_table("alert_rules")
