"""Scheduler leadership as a fenced lease; the lease token on every budget row.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leader_lease",
        sa.Column("name", AutoString(length=32), primary_key=True),
        sa.Column("holder", AutoString(length=128), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("api_requests") as batch:
        batch.add_column(sa.Column("leader_token", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_requests") as batch:
        batch.drop_column("leader_token")
    op.drop_table("leader_lease")
