"""Named watchlists on both databases: each person's own, the scheduler tracking their union."""

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from stockmon.domain import accounts
from stockmon.domain.limits import set_tracking_limits
from stockmon.domain.schema import MIGRATIONS_DIR, migrate
from stockmon.domain.tracking import tracked_symbols
from stockmon.domain.watchlists import (
    FIRST_LIST_NAME,
    MAX_LISTS,
    WatchlistError,
    create_list,
    delete_list,
    get_picks,
    list_symbols,
    lists_holding,
    lists_of,
    move_list,
    rename_list,
    save_picks,
)


@pytest.fixture
def ann(engine):
    return accounts.create_user(engine, "ann", "Ann", "ann@example.com", "sup3rsecret")


@pytest.fixture
def bob(engine):
    return accounts.create_user(engine, "bob", "Bob", "bob@example.com", "sup3rsecret")


def names(engine, user) -> list[str]:
    return [each.name for each in lists_of(engine, user.id)]


def test_lists_are_created_renamed_reordered_and_deleted(engine, ann):
    tech = create_list(engine, ann.id, "  Tech  ")
    dividends = create_list(engine, ann.id, "Dividends")
    assert tech.name == "Tech" and names(engine, ann) == ["Tech", "Dividends"]
    save_picks(engine, ann.id, ["AAPL", "MSFT"], tech.id)
    save_picks(engine, ann.id, ["KO", "MSFT"], dividends.id)
    assert [(each.name, each.size) for each in lists_of(engine, ann.id)] == [
        ("Tech", 2),
        ("Dividends", 2),
    ]

    move_list(engine, ann.id, dividends.id, -1)
    assert names(engine, ann) == ["Dividends", "Tech"]
    move_list(engine, ann.id, dividends.id, -5)  # already first: stays
    assert names(engine, ann) == ["Dividends", "Tech"]
    assert get_picks(engine, ann.id) == ["KO", "MSFT", "AAPL"]  # each once, in list order

    assert rename_list(engine, ann.id, tech.id, "Big tech") == "Big tech"
    with pytest.raises(WatchlistError, match="already have a list named"):
        rename_list(engine, ann.id, tech.id, "dividends")
    with pytest.raises(WatchlistError, match="already have a list named"):
        create_list(engine, ann.id, "DIVIDENDS")
    for bad in ("", "   ", "x" * 41, "tab\there\x00"):
        with pytest.raises(WatchlistError):
            create_list(engine, ann.id, bad)

    delete_list(engine, ann.id, dividends.id)
    assert names(engine, ann) == ["Big tech"]
    assert get_picks(engine, ann.id) == ["AAPL", "MSFT"]


def test_the_first_save_makes_a_first_list_and_lists_are_capped(engine, ann):
    assert lists_of(engine, ann.id) == []
    save_picks(engine, ann.id, ["NVDA"])
    assert names(engine, ann) == [FIRST_LIST_NAME]
    for index in range(MAX_LISTS - 1):
        create_list(engine, ann.id, f"List {index}")
    with pytest.raises(WatchlistError, match=f"at most {MAX_LISTS} lists"):
        create_list(engine, ann.id, "One too many")


def test_nobody_reads_or_changes_another_persons_lists(engine, ann, bob):
    private = create_list(engine, ann.id, "Private")
    save_picks(engine, ann.id, ["TSLA"], private.id)
    for attempt in (
        lambda: list_symbols(engine, bob.id, private.id),
        lambda: save_picks(engine, bob.id, ["AAPL"], private.id),
        lambda: rename_list(engine, bob.id, private.id, "Mine now"),
        lambda: move_list(engine, bob.id, private.id, 1),
        lambda: delete_list(engine, bob.id, private.id),
    ):
        with pytest.raises(WatchlistError, match="No such list"):
            attempt()
    assert lists_of(engine, bob.id) == []
    assert names(engine, ann) == ["Private"]
    assert list_symbols(engine, ann.id, private.id) == ["TSLA"]
    create_list(engine, bob.id, "Private")  # the same name is fine for someone else


def test_the_scheduler_tracks_the_union_of_every_list(engine, ann, bob):
    tech = create_list(engine, ann.id, "Tech")
    cars = create_list(engine, ann.id, "Cars")
    save_picks(engine, ann.id, ["AAPL", "MSFT"], tech.id)
    save_picks(engine, ann.id, ["TSLA", "AAPL"], cars.id)
    save_picks(engine, bob.id, ["KO"])
    assert tracked_symbols(engine, [], budgeted=True) == ["AAPL", "KO", "MSFT", "TSLA"]
    delete_list(engine, ann.id, cars.id)
    assert tracked_symbols(engine, [], budgeted=True) == ["AAPL", "KO", "MSFT"]
    accounts.remove_user(engine, "bob")
    assert tracked_symbols(engine, [], budgeted=True) == ["AAPL", "MSFT"]


def test_caps_count_every_list_of_a_person(engine, ann, bob):
    set_tracking_limits(engine, per_user=3, total=4)
    tech = create_list(engine, ann.id, "Tech")
    other = create_list(engine, ann.id, "Other")
    save_picks(engine, ann.id, ["AAPL", "MSFT"], tech.id)
    save_picks(engine, ann.id, ["MSFT", "NVDA"], other.id)  # 3 distinct across both lists
    with pytest.raises(WatchlistError, match="at most 3 symbols across your lists"):
        save_picks(engine, ann.id, ["MSFT", "NVDA", "TSLA"], other.id)
    assert list_symbols(engine, ann.id, other.id) == ["MSFT", "NVDA"]
    save_picks(engine, bob.id, ["AAPL", "KO"])  # one new symbol: 4 in all
    with pytest.raises(WatchlistError, match="at most 4 symbols for everyone"):
        save_picks(engine, bob.id, ["AAPL", "KO", "AMZN"])


def test_old_picks_become_a_first_list_when_migrating(engine, ann, bob):
    """Upgrading from one list per person: everyone's picks are kept, in order."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    stamp = datetime(2026, 1, 5, tzinfo=UTC)
    stamp = stamp if engine.dialect.name == "postgresql" else stamp.isoformat(" ")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO watchlists (user_id, symbol, position, added_at) "
                "VALUES (:user, :symbol, :position, :at)"
            ),
            [
                {"user": ann.id, "symbol": "MSFT", "position": 0, "at": stamp},
                {"user": ann.id, "symbol": "AAPL", "position": 1, "at": stamp},
                {"user": bob.id, "symbol": "KO", "position": 0, "at": stamp},
            ],
        )
    migrate(engine)
    assert names(engine, ann) == [FIRST_LIST_NAME] == names(engine, bob)
    assert get_picks(engine, ann.id) == ["MSFT", "AAPL"]
    assert get_picks(engine, bob.id) == ["KO"]


def test_the_lists_holding_a_symbol_are_named_in_the_persons_order(engine, ann, bob):
    tech = create_list(engine, ann.id, "Tech")
    dividends = create_list(engine, ann.id, "Dividends")
    save_picks(engine, ann.id, ["MSFT", "KO"], dividends.id)
    save_picks(engine, ann.id, ["MSFT", "AAPL"], tech.id)
    save_picks(engine, bob.id, ["MSFT"])  # someone else's list: not named
    move_list(engine, ann.id, dividends.id, -1)
    assert lists_holding(engine, ann.id, "MSFT") == ["Dividends", "Tech"]
    assert lists_holding(engine, ann.id, "KO") == ["Dividends"]
    assert lists_holding(engine, ann.id, "NVDA") == []
