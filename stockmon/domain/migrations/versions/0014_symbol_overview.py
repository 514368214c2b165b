"""The provider's 52-week range per symbol, for symbols with less than a year of bars.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("symbols") as batch:
        batch.add_column(sa.Column("year_low", sa.Float(), nullable=True))
        batch.add_column(sa.Column("year_high", sa.Float(), nullable=True))
        batch.add_column(sa.Column("overview_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("symbols") as batch:
        batch.drop_column("overview_at")
        batch.drop_column("year_high")
        batch.drop_column("year_low")
