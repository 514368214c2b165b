"""Room for encrypted notification URLs (a Fernet token of a 1,000-character URL).

Revision ID: 0018
Revises: 0017
"""

from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification_channels") as batch:
        batch.alter_column(
            "url", type_=AutoString(length=2200), existing_type=AutoString(length=1000)
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_channels") as batch:
        batch.alter_column(
            "url", type_=AutoString(length=1000), existing_type=AutoString(length=2200)
        )
