"""Positions: sales, and the imported CSV row each lot or sale came from.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lots") as batch:
        batch.add_column(sa.Column("import_key", AutoString(length=80), nullable=True))
        batch.create_unique_constraint("uq_lots_user_import_key", ["user_id", "import_key"])
    op.create_table(
        "sales",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("symbol", AutoString(length=16), nullable=False),
        sa.Column("sold_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("fees", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("import_key", AutoString(length=80), nullable=True),
        sa.UniqueConstraint("user_id", "import_key", name="uq_sales_user_import_key"),
    )
    op.create_index("ix_sales_user_symbol", "sales", ["user_id", "symbol"])


def downgrade() -> None:
    op.drop_index("ix_sales_user_symbol", table_name="sales")
    op.drop_table("sales")
    with op.batch_alter_table("lots") as batch:
        batch.drop_constraint("uq_lots_user_import_key", type_="unique")
        batch.drop_column("import_key")
