"""An index on the kind of alert rules: whether any 52-week rule exists is one seek.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_alert_rules_kind", "alert_rules", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_alert_rules_kind", table_name="alert_rules")
