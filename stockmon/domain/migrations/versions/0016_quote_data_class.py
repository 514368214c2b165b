"""Each quote's data class and market time; why the provider rejected a symbol.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("data_class", AutoString(length=16), nullable=True))
        batch.add_column(sa.Column("market_time", UTCDateTime(), nullable=True))
    with op.batch_alter_table("fetch_status") as batch:
        batch.add_column(sa.Column("rejection", AutoString(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fetch_status") as batch:
        batch.drop_column("rejection")
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("market_time")
        batch.drop_column("data_class")
