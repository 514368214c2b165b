"""One row per login: a login cookie is good only while its row exists.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logins",
        sa.Column("id", AutoString(length=43), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("started_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_logins_user_id", "logins", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_logins_user_id", table_name="logins")
    op.drop_table("logins")
