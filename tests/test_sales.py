"""Sales on both databases: first in, first out across lots and fees, realised gains beside the
unrealised, totals per currency, and every write that would sell unheld shares refused."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from stockmon.domain.gains import holdings, portfolio_history
from stockmon.domain.positions import (
    PositionError,
    add_lot,
    book_of,
    record_sale,
    remove_lot,
    remove_sale,
)
from stockmon.domain.watchlists import save_picks
from tests.conftest import add_user

QUOTES = pd.DataFrame({"symbol": ["AAPL", "MSFT"], "price": [110.0, 400.0], "change": [2.0, -5.0]})
USD = {"AAPL": "USD", "MSFT": "USD"}


@pytest.fixture
def user_id(engine):
    """A person watching the symbols these tests hold."""
    person = add_user(engine)
    save_picks(engine, person, ["AAPL", "MSFT"])
    return person


def test_a_sale_sells_the_oldest_shares_first(engine, user_id):
    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 10, 100.0, fees=10.0)  # 101 a share
    add_lot(engine, user_id, "AAPL", date(2025, 6, 1), 10, 120.0)
    record_sale(engine, user_id, "AAPL", date(2025, 7, 1), 15, 130.0, fees=5.0)
    held = holdings(book_of(engine, user_id), QUOTES, USD)

    sale = held.realised.iloc[0]
    # 10 shares at 101 from the first lot, 5 at 120 from the second
    assert sale["cost"] == pytest.approx(10 * 101.0 + 5 * 120.0)
    assert sale["proceeds"] == pytest.approx(15 * 130.0 - 5.0)
    assert sale["gain"] == pytest.approx(1945.0 - 1610.0)

    row = held.positions.set_index("symbol").loc["AAPL"]
    assert row["quantity"] == pytest.approx(5)  # what is left of the second lot
    assert row["cost"] == pytest.approx(5 * 120.0)
    assert row["total_gain"] == pytest.approx(5 * 110.0 - 600.0)
    assert row["realised_gain"] == pytest.approx(335.0)
    totals = held.totals.set_index("currency").loc["USD"]
    assert totals["realised_gain"] == pytest.approx(335.0)
    assert totals["market_value"] == pytest.approx(550.0)


def test_a_symbol_sold_out_leaves_its_realised_gain_in_the_totals(engine, user_id):
    add_lot(engine, user_id, "MSFT", date(2025, 1, 10), 2, 300.0)
    record_sale(engine, user_id, "MSFT", date(2025, 2, 10), 2, 350.0)
    held = holdings(book_of(engine, user_id), QUOTES, USD)
    assert held.positions.empty
    totals = held.totals.set_index("currency").loc["USD"]
    assert totals["realised_gain"] == pytest.approx(100.0)
    assert totals["market_value"] == 0


@pytest.mark.parametrize(
    ("sold_on", "quantity", "message"),
    [
        (date(2025, 3, 1), 11, "more than the 10 held"),
        (date(2025, 1, 9), 1, "more than the 0 held"),  # before anything was bought
        (date(2999, 1, 1), 1, "future"),
    ],
)
def test_a_sale_of_shares_not_held_on_its_day_is_refused(
    engine, user_id, sold_on, quantity, message
):
    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 10, 100.0)
    with pytest.raises(PositionError, match=message):
        record_sale(engine, user_id, "AAPL", sold_on, quantity, 120.0)
    assert book_of(engine, user_id).sales.empty


def test_an_earlier_sale_cannot_take_the_shares_a_later_one_sold(engine, user_id):
    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 10, 100.0)
    record_sale(engine, user_id, "AAPL", date(2025, 5, 1), 8, 120.0)
    with pytest.raises(PositionError, match="A sale of 8 AAPL on 2025-05-01"):
        record_sale(engine, user_id, "AAPL", date(2025, 3, 1), 5, 110.0)
    assert len(book_of(engine, user_id).sales) == 1


def test_a_lot_a_sale_needs_cannot_be_removed_until_the_sale_is(engine, user_id):
    lot = add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 10, 100.0)
    sale = record_sale(engine, user_id, "AAPL", date(2025, 5, 1), 4, 120.0)
    with pytest.raises(PositionError, match="Remove the sale first"):
        remove_lot(engine, user_id, lot)
    assert len(book_of(engine, user_id).lots) == 1
    remove_sale(engine, user_id, sale)
    remove_lot(engine, user_id, lot)
    assert book_of(engine, user_id).empty


def test_nobody_removes_another_persons_sale(engine, user_id):
    bob = add_user(engine, "bob")
    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 10, 100.0)
    sale = record_sale(engine, user_id, "AAPL", date(2025, 5, 1), 4, 120.0)
    with pytest.raises(PositionError, match="No such sale"):
        remove_sale(engine, bob, sale)
    assert book_of(engine, bob).empty
    assert book_of(engine, user_id).sales["id"].tolist() == [sale]


def test_the_portfolio_value_drops_what_a_sale_sold_from_its_day(engine, user_id):
    add_lot(engine, user_id, "AAPL", date(2025, 6, 1), 10, 90.0)
    record_sale(engine, user_id, "AAPL", date(2025, 6, 4), 4, 103.0)
    start = datetime(2025, 6, 2, 15, tzinfo=UTC)
    history = pd.DataFrame(
        {
            "symbol": ["AAPL"] * 4,
            "ts": [start + timedelta(days=day) for day in range(4)],
            "price": [100.0, 101.0, 102.0, 103.0],
        }
    )
    values = portfolio_history(book_of(engine, user_id), history, {})
    assert values["value"].tolist() == pytest.approx([1000.0, 1010.0, 612.0, 618.0])
