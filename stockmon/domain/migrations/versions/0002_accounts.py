"""Accounts: users and their watchlists.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", AutoString(length=32), nullable=False, unique=True),
        sa.Column("name", AutoString(length=100), nullable=False),
        sa.Column("email", AutoString(length=254), nullable=False, unique=True),
        sa.Column("password_hash", AutoString(length=100), nullable=False),
        sa.Column("failed_login_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "watchlists",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("symbol", AutoString(length=16), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("watchlists")
    op.drop_table("users")
