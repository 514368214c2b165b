"""Notification channels (Apprise URLs) and per-channel delivery of alert events.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("url", AutoString(length=1000), nullable=False),
        sa.Column("shown", AutoString(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("alert_events.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey("notification_channels.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("state", AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", AutoString(length=300), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_alert_deliveries_state_next", "alert_deliveries", ["state", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("alert_deliveries")
    op.drop_table("notification_channels")
