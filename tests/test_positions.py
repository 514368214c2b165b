"""Positions on both databases: lots, gain arithmetic with several lots and fees, totals per
currency, the portfolio's value over time, and nobody touching another person's lots."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from stockmon.app.queries import catalog
from stockmon.domain.catalog import CatalogEntry
from stockmon.domain.gains import Book, holdings, portfolio_history
from stockmon.domain.positions import (
    SALE_COLUMNS,
    PositionError,
    add_lot,
    book_of,
    remove_lot,
)
from stockmon.domain.schema import seed_catalog
from stockmon.domain.watchlists import save_picks
from tests.conftest import add_user

NO_SALES = pd.DataFrame(columns=SALE_COLUMNS)
QUOTES = pd.DataFrame(
    {
        "symbol": ["AAPL", "MSFT", "TSCO.LON"],
        "price": [110.0, 400.0, 3.0],
        "change": [2.0, -5.0, 0.1],
    }
)


@pytest.fixture
def user_id(engine):
    """A person watching the symbols these tests hold."""
    person = add_user(engine)
    save_picks(engine, person, ["AAPL", "MSFT", "NVDA"])
    return person


def test_gains_over_several_lots_with_fees(engine, user_id):
    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 10, 100.0, fees=5.0)
    add_lot(engine, user_id, "AAPL", date(2025, 6, 1), 5, 120.0, fees=2.5)
    add_lot(engine, user_id, "MSFT", date(2025, 3, 3), 2, 450.0)
    held = holdings(book_of(engine, user_id), QUOTES, {"AAPL": "USD", "MSFT": "USD"})
    rows = held.positions.set_index("symbol")

    # AAPL: 15 shares, cost 10 x 100 + 5 + 5 x 120 + 2.5 = 1607.5, worth 15 x 110 = 1650
    assert rows.at["AAPL", "quantity"] == 15
    assert rows.at["AAPL", "cost"] == pytest.approx(1607.5)
    assert rows.at["AAPL", "market_value"] == pytest.approx(1650.0)
    assert rows.at["AAPL", "day_gain"] == pytest.approx(30.0)
    assert rows.at["AAPL", "total_gain"] == pytest.approx(42.5)
    assert rows.at["AAPL", "total_gain_percent"] == pytest.approx(42.5 / 1607.5 * 100)
    # MSFT: a loss
    assert rows.at["MSFT", "total_gain"] == pytest.approx(800.0 - 900.0)
    assert rows.at["MSFT", "day_gain"] == pytest.approx(-10.0)

    totals = held.totals.set_index("currency")
    assert list(totals.index) == ["USD"]
    assert totals.at["USD", "market_value"] == pytest.approx(2450.0)
    assert totals.at["USD", "total_gain"] == pytest.approx(-57.5)
    assert totals.at["USD", "total_gain_percent"] == pytest.approx(-57.5 / 2507.5 * 100)


def test_totals_are_never_summed_across_currencies(engine, user_id):
    seed_catalog(engine, [CatalogEntry("TSCO.LON", "Tesco PLC", "LSE", "GBP", 3.0)])
    save_picks(engine, user_id, ["AAPL", "TSCO.LON"])
    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 1, 100.0)
    add_lot(engine, user_id, "TSCO.LON", date(2025, 1, 10), 100, 2.5, fees=1.0)
    book = book_of(engine, user_id)
    listings = catalog(engine)
    held = holdings(book, QUOTES, dict(zip(listings["symbol"], listings["currency"], strict=True)))
    totals = held.totals.set_index("currency")
    assert sorted(totals.index) == ["GBP", "USD"]
    assert totals.at["GBP", "market_value"] == pytest.approx(300.0)
    assert totals.at["GBP", "total_gain"] == pytest.approx(300.0 - 251.0)
    assert totals.at["USD", "market_value"] == pytest.approx(110.0)


def test_a_symbol_without_a_quote_counts_in_no_total(engine, user_id):
    add_lot(engine, user_id, "NVDA", date(2025, 1, 10), 3, 100.0)
    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 1, 100.0)
    held = holdings(book_of(engine, user_id), QUOTES, {})
    rows = held.positions.set_index("symbol")
    assert pd.isna(rows.at["NVDA", "market_value"])
    assert held.totals.set_index("currency").at["USD", "market_value"] == pytest.approx(110.0)


@pytest.mark.parametrize(
    ("symbol", "quantity", "price", "fees", "bought_on", "message"),
    [
        ("AAPL", 0, 100, 0, date(2025, 1, 1), "quantity must be a positive"),
        ("AAPL", -1, 100, 0, date(2025, 1, 1), "quantity must be a positive"),
        ("AAPL", float("nan"), 100, 0, date(2025, 1, 1), "quantity"),
        ("AAPL", 1, -3, 0, date(2025, 1, 1), "price must be a non-negative"),
        ("AAPL", 1, 3, float("inf"), date(2025, 1, 1), "fees"),
        ("AAPL", 1, 3, 0, date(2999, 1, 1), "future"),
        ("NOPE", 1, 3, 0, date(2025, 1, 1), "Add NOPE to one of your lists first"),
        ("KO", 1, 3, 0, date(2025, 1, 1), "Add KO to one of your lists first"),
        ("<script>", 1, 3, 0, date(2025, 1, 1), "symbol"),
    ],
)
def test_bad_lots_are_refused(engine, user_id, symbol, quantity, price, fees, bought_on, message):
    with pytest.raises(PositionError, match=message):
        add_lot(engine, user_id, symbol, bought_on, quantity, price, fees)
    assert book_of(engine, user_id).lots.empty


def test_nobody_reads_or_removes_another_persons_lots(engine, user_id):
    bob = add_user(engine, "bob")
    save_picks(engine, bob, ["AAPL"])
    lot = add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 1, 100.0)
    assert book_of(engine, bob).lots.empty
    with pytest.raises(PositionError, match="No such lot"):
        remove_lot(engine, bob, lot)
    assert book_of(engine, user_id).lots["id"].tolist() == [lot]
    remove_lot(engine, user_id, lot)
    assert book_of(engine, user_id).lots.empty


def test_the_portfolio_value_counts_each_lot_from_the_day_it_was_bought():
    start = datetime(2025, 6, 2, 15, tzinfo=UTC)
    times = [start + timedelta(days=day) for day in range(4)]
    history = pd.DataFrame(
        {
            "symbol": ["AAPL"] * 4 + ["MSFT"] * 3,
            "ts": times + times[1:],
            "price": [100.0, 101.0, 102.0, 103.0, 400.0, 410.0, 420.0],
        }
    )
    lots = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "symbol": ["AAPL", "AAPL", "MSFT"],
            "bought_on": [date(2025, 6, 1), date(2025, 6, 4), date(2025, 6, 1)],
            "quantity": [10.0, 5.0, 1.0],
            "price": [90.0, 100.0, 380.0],
            "fees": [0.0, 0.0, 0.0],
        }
    )
    values = portfolio_history(Book(lots, NO_SALES), history, {})
    assert values["currency"].unique().tolist() == ["USD"]
    assert values["value"].tolist() == pytest.approx(
        [1000.0, 1010.0 + 400.0, 1020.0 + 510.0 + 410.0, 1030.0 + 515.0 + 420.0]
    )


def test_gains_are_green_and_losses_red_on_screen(engine, user_id):
    from stockmon.app.presentation import GAIN, LOSS
    from stockmon.app.ui_positions import positions_table

    add_lot(engine, user_id, "AAPL", date(2025, 1, 10), 10, 100.0)  # worth 110: a gain
    add_lot(engine, user_id, "MSFT", date(2025, 3, 3), 2, 450.0)  # worth 400: a loss
    held = holdings(book_of(engine, user_id), QUOTES, {"AAPL": "USD", "MSFT": "USD"})
    styled = positions_table(held)
    styled._compute()
    rows = list(held.positions["symbol"])
    columns = list(held.positions.columns)
    for column in ["day_gain", "total_gain", "total_gain_percent"]:
        colours = {
            rows[row]: dict(styled.ctx[(row, columns.index(column))])["color"]
            for row in range(len(rows))
        }
        assert colours == {"AAPL": GAIN, "MSFT": LOSS}, column
