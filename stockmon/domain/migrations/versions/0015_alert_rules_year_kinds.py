"""A partial index on 52-week alert rules: whether any exists is one seek.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

YEAR_KINDS_SQL = "kind IN ('high_52w', 'low_52w')"


def upgrade() -> None:
    op.create_index(
        "ix_alert_rules_year_kinds",
        "alert_rules",
        ["kind"],
        sqlite_where=sa.text(YEAR_KINDS_SQL),
        postgresql_where=sa.text(YEAR_KINDS_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_alert_rules_year_kinds", table_name="alert_rules")
