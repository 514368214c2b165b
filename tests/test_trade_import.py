"""A broker's CSV on both databases: previewed row by row with each refusal named, nothing
stored until confirmed, all or none, and the same file imported twice adding nothing twice."""

from datetime import date

import pytest

from stockmon.domain.positions import PositionError, add_lot, book_of, record_sale
from stockmon.domain.trade_import import (
    MAX_IMPORT_ROWS,
    ImportFileError,
    confirm_import,
    preview_import,
)
from stockmon.domain.watchlists import save_picks
from tests.conftest import add_user

GOOD = b"""Type,Symbol,Date,Quantity,Price,Fees
buy,AAPL,2025-01-10,10,100.00,5
buy,aapl,2025-01-10,10,100.00,5
sell,AAPL,2025-03-01,4,"1,120.50",1.5
Bought,MSFT,2025-02-03,1,400,
"""


@pytest.fixture
def user_id(engine):
    person = add_user(engine)
    save_picks(engine, person, ["AAPL", "MSFT"])
    return person


def test_a_preview_stores_nothing_and_confirming_stores_every_row(engine, user_id):
    preview = preview_import(engine, user_id, GOOD)
    assert preview.ready and preview.rows["status"].tolist() == ["new"] * 4
    assert preview.rows["symbol"].tolist() == ["AAPL", "AAPL", "AAPL", "MSFT"]
    assert book_of(engine, user_id).empty

    assert confirm_import(engine, user_id, preview) == 4
    book = book_of(engine, user_id)
    assert book.lots[["symbol", "quantity", "price", "fees"]].values.tolist() == [
        ["AAPL", 10.0, 100.0, 5.0],
        ["AAPL", 10.0, 100.0, 5.0],  # the same purchase twice in one file is two lots
        ["MSFT", 1.0, 400.0, 0.0],
    ]
    assert book.sales[["symbol", "sold_on", "price", "fees"]].values.tolist() == [
        ["AAPL", date(2025, 3, 1), 1120.5, 1.5]
    ]


def test_importing_the_same_file_again_adds_nothing(engine, user_id):
    confirm_import(engine, user_id, preview_import(engine, user_id, GOOD))
    again = preview_import(engine, user_id, GOOD)
    assert again.rows["status"].tolist() == ["already imported"] * 4
    assert not again.ready
    assert confirm_import(engine, user_id, again) == 0
    grown = preview_import(engine, user_id, GOOD + b"buy,AAPL,2025-01-10,10,100.00,5\n")
    assert grown.rows["status"].tolist() == ["already imported"] * 4 + ["new"]
    confirm_import(engine, user_id, grown)
    assert len(book_of(engine, user_id).lots) == 4


def test_a_confirmed_preview_stored_meanwhile_by_another_tab_adds_nothing_twice(engine, user_id):
    preview = preview_import(engine, user_id, GOOD)
    confirm_import(engine, user_id, preview)
    assert confirm_import(engine, user_id, preview) == 0
    assert len(book_of(engine, user_id).lots) == 3


def test_each_bad_row_is_named_with_why_and_nothing_is_stored(engine, user_id):
    data = b"""symbol;date;shares;price;commission;action
AAPL;2025-01-10;10;100;0;buy
KO;2025-01-10;1;50;0;buy
=HYPERLINK("http://x");2025-01-10;1;50;0;buy
AAPL;10/01/2025;1;50;0;buy
AAPL;2025-01-10;ten;50;0;buy
AAPL;2025-01-10;1;50;0;short
AAPL;2999-01-01;1;50;0;buy
AAPL;2025-02-01;11;12,5;0;sell
AAPL;2025-01-10;0;50;0;buy
"""
    preview = preview_import(engine, user_id, data)
    status = dict(zip(preview.rows["line"], preview.rows["status"], strict=True))
    assert status == {
        2: "new",
        3: "KO is on none of your lists: add it first.",
        4: "The symbol is not a ticker symbol.",
        5: "The date is not a date written YYYY-MM-DD.",
        6: "The quantity is not a number.",
        7: "The type is neither buy nor sell.",
        8: "A purchase cannot be in the future.",
        9: "Sells more than the 10 AAPL held on 2025-02-01.",
        10: "The quantity must be a positive number.",
    }
    assert not preview.ready
    with pytest.raises(PositionError, match="nothing was imported"):
        confirm_import(engine, user_id, preview)
    assert book_of(engine, user_id).empty


def test_a_new_sale_that_would_oversell_a_stored_later_sale_is_named(engine, user_id):
    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 10, 100.0)
    record_sale(engine, user_id, "AAPL", date(2025, 5, 1), 8, 120.0)
    preview = preview_import(
        engine, user_id, b"type,symbol,date,quantity,price\nsell,AAPL,2025-03-01,5,110\n"
    )
    assert preview.rows["status"].tolist() == [
        "Leaves your stored sale of 8 on 2025-05-01 selling more than the 5 AAPL held on "
        "2025-05-01."
    ]


def test_a_negative_quantity_without_a_type_is_a_sale(engine, user_id):
    data = b"ticker,trade date,quantity,price\nAAPL,2025-01-10,3,100\nAAPL,2025-02-10,-2,110\n"
    confirm_import(engine, user_id, preview_import(engine, user_id, data))
    book = book_of(engine, user_id)
    assert book.lots["quantity"].tolist() == [3.0] and book.sales["quantity"].tolist() == [2.0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"symbol,when,quantity\nAAPL,2025-01-01,1\n", "no date, price column"),
        ("symbol,date,quantity,price\nÄ,2025-01-01,1,1\n".encode("utf-16"), "not UTF-8"),
        (
            b"symbol,date,quantity,price\n" + b"AAPL,2025-01-10,1,1\n" * (MAX_IMPORT_ROWS + 1),
            "at most",
        ),
        (b"x" * 1_000_001, "larger than 1 MB"),
        (b'symbol,date,quantity,price\n"' + b"A" * 200_000 + b'",2025-01-10,1,1\n', "not a CSV"),
    ],
)
def test_a_file_that_is_no_table_of_trades_is_refused_in_one_sentence(
    engine, user_id, data, message
):
    with pytest.raises(ImportFileError, match=message):
        preview_import(engine, user_id, data)
    assert book_of(engine, user_id).empty


def test_nobody_sees_or_skips_rows_because_of_another_persons_import(engine, user_id):
    bob = add_user(engine, "bob")
    save_picks(engine, bob, ["AAPL", "MSFT"])
    confirm_import(engine, bob, preview_import(engine, bob, GOOD))
    assert preview_import(engine, user_id, GOOD).rows["status"].tolist() == ["new"] * 4


def test_a_nul_byte_in_a_cell_refuses_its_row(engine, user_id):
    data = b"symbol,date,quantity,price\nAAPL\x00,2025-01-10,1,1\n"
    status = preview_import(engine, user_id, data).rows["status"].tolist()
    assert status == ["The symbol is not a ticker symbol."]
