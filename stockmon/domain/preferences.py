"""What a person chose for how pages show things, kept with their account: the dashboard
table's columns. The names are the app's; a stored name the app no longer knows is dropped
when read, so a stale or garbled choice never breaks a page."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Engine, select, update
from sqlmodel import col

from stockmon.domain.errors import StockmonError
from stockmon.domain.models import User

MAX_STORED = 400  # characters, the column's size


class PreferenceError(StockmonError):
    """A choice that cannot be kept; the message says why."""


def table_columns(engine: Engine, user_id: int, known: Collection[str]) -> list[str] | None:
    """The columns the person chose, in their order and only those in ``known``; None when
    they never chose (the page's default then)."""
    with engine.connect() as conn:
        stored = conn.execute(
            select(col(User.table_columns)).where(col(User.id) == user_id)
        ).scalar_one_or_none()
    if stored is None:
        return None
    return [name for name in dict.fromkeys(stored.split(",")) if name and name in known]


def save_table_columns(
    engine: Engine, user_id: int, columns: Sequence[str], known: Collection[str]
) -> None:
    """Keep the person's choice of columns (each one of ``known``)."""
    if unknown := [name for name in columns if name not in known]:
        raise PreferenceError(f"There is no column {unknown[0][:40]!r}.")
    stored = ",".join(dict.fromkeys(columns))
    if len(stored) > MAX_STORED:
        raise PreferenceError("Choose fewer columns.")
    with engine.begin() as conn:
        conn.execute(update(User).where(col(User.id) == user_id).values(table_columns=stored))
