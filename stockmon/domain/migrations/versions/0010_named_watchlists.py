"""Several named watchlists per person: each person's picks become their list "My stocks".

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FIRST_LIST_NAME = "My stocks"


def upgrade() -> None:
    conn = op.get_bind()
    old = sa.table(
        "watchlists",
        sa.column("user_id"),
        sa.column("symbol"),
        sa.column("position"),
        sa.column("added_at", UTCDateTime()),
    )
    picks = conn.execute(
        sa.select(old.c.user_id, old.c.symbol, old.c.position, old.c.added_at)
    ).all()
    # The old table's name and its constraint names go to the lists: drop it first.
    op.drop_table("watchlists")
    lists = op.create_table(
        "watchlists",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", AutoString(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_watchlists_user_name"),
    )
    items = op.create_table(
        "watchlist_items",
        sa.Column(
            "watchlist_id",
            sa.Integer(),
            sa.ForeignKey("watchlists.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("symbol", AutoString(length=16), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_watchlist_items_symbol", "watchlist_items", ["symbol"])
    first_added: dict[int, object] = {}
    for user_id, _symbol, _position, added_at in picks:
        first_added[user_id] = min(first_added.get(user_id, added_at), added_at)
    for user_id, created_at in first_added.items():
        list_id = conn.execute(
            lists.insert()
            .values(user_id=user_id, name=FIRST_LIST_NAME, position=0, created_at=created_at)
            .returning(lists.c.id)
        ).scalar_one()
        conn.execute(
            items.insert(),
            [
                {"watchlist_id": list_id, "symbol": s, "position": p, "added_at": a}
                for u, s, p, a in picks
                if u == user_id
            ],
        )


def downgrade() -> None:
    conn = op.get_bind()
    lists = sa.table("watchlists", sa.column("id"), sa.column("user_id"))
    items = sa.table(
        "watchlist_items",
        sa.column("watchlist_id"),
        sa.column("symbol"),
        sa.column("position"),
        sa.column("added_at", UTCDateTime()),
    )
    picks = conn.execute(
        sa.select(
            lists.c.user_id,
            items.c.symbol,
            sa.func.min(items.c.position),
            sa.func.min(items.c.added_at, type_=UTCDateTime()),
        )
        .join(lists, lists.c.id == items.c.watchlist_id)
        .group_by(lists.c.user_id, items.c.symbol)
    ).all()
    op.drop_index("ix_watchlist_items_symbol", table_name="watchlist_items")
    op.drop_table("watchlist_items")
    op.drop_table("watchlists")
    old = op.create_table(
        "watchlists",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("symbol", AutoString(length=16), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )
    if picks:
        conn.execute(
            old.insert(),
            [{"user_id": u, "symbol": s, "position": p, "added_at": a} for u, s, p, a in picks],
        )
