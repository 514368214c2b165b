"""When the provider last described a listing a search found (Finnhub's profile).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("symbols") as batch:
        batch.add_column(sa.Column("profile_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("symbols") as batch:
        batch.drop_column("profile_at")
