"""Company facts the provider gives with a listing's 52-week range: sector, market
capitalisation, price-earnings ratio.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("symbols") as batch:
        batch.add_column(sa.Column("sector", AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("market_cap", sa.Float(), nullable=True))
        batch.add_column(sa.Column("pe_ratio", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("symbols") as batch:
        batch.drop_column("pe_ratio")
        batch.drop_column("market_cap")
        batch.drop_column("sector")
