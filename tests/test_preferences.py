"""A person's choice of dashboard columns on both databases: kept, read back in order, a
stored name the app no longer knows dropped, an unknown name refused, nobody else touched."""

import pytest
from sqlalchemy import update

from stockmon.domain.models import User
from stockmon.domain.preferences import PreferenceError, save_table_columns, table_columns
from tests.conftest import add_user

KNOWN = ["Currency", "Volume", "Data", "Updated"]


def test_a_choice_is_kept_and_read_back(engine):
    ann, bob = add_user(engine), add_user(engine, "bob")
    assert table_columns(engine, ann, KNOWN) is None  # never chose: the page's default
    save_table_columns(engine, ann, ["Volume", "Updated"], KNOWN)
    assert table_columns(engine, ann, KNOWN) == ["Volume", "Updated"]
    assert table_columns(engine, bob, KNOWN) is None
    save_table_columns(engine, ann, [], KNOWN)
    assert table_columns(engine, ann, KNOWN) == []  # every optional column hidden


def test_a_garbled_or_stale_stored_choice_keeps_only_known_columns(engine):
    ann = add_user(engine)
    with engine.begin() as conn:
        conn.execute(update(User).values(table_columns=",Gone,Volume,,<b>x</b>,Volume,Data"))
    assert table_columns(engine, ann, KNOWN) == ["Volume", "Data"]


@pytest.mark.parametrize("columns", [["Volume", "Passwords"], ["x" * 500]])
def test_an_unknown_column_is_refused_and_nothing_changes(engine, columns):
    ann = add_user(engine)
    save_table_columns(engine, ann, ["Data"], KNOWN)
    with pytest.raises(PreferenceError, match="There is no column"):
        save_table_columns(engine, ann, columns, KNOWN)
    assert table_columns(engine, ann, KNOWN) == ["Data"]
