"""Positions through AppTest: lots added on the Positions page, valued on the dashboard."""

from datetime import date

from stockmon.domain.positions import add_lot, lots_of
from stockmon.domain.watchlists import save_picks
from tests.conftest import as_read
from tests.test_app import ann, engine, logged_in_app, seed_quote  # noqa: F401 (fixtures)
from tests.test_dashboard_page import heartbeat


def test_a_lot_added_on_the_positions_page_is_valued(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 110.0, 108.0)
    heartbeat(engine, 0)
    at = logged_in_app("pages/positions.py")
    assert not at.exception
    assert at.info[0].value.startswith("No lots yet")

    at.selectbox[0].set_value("AAPL")
    at.number_input[0].set_value(10)  # quantity
    at.number_input[1].set_value(100.0)  # price paid
    at.number_input[2].set_value(5.0)  # fees
    next(b for b in at.button if b.label == "Add lot").click().run()
    assert not at.exception and not at.error
    lots = lots_of(engine, ann.id)
    assert lots[["symbol", "quantity", "price", "fees"]].values.tolist() == [
        ["AAPL", 10.0, 100.0, 5.0]
    ]
    positions = at.dataframe[0].value.set_index("symbol")
    assert positions.at["AAPL", "market_value"] == 1100.0
    assert positions.at["AAPL", "total_gain"] == 1100.0 - 1005.0
    value = next(m for m in at.metric if m.label == "Market value · USD")
    assert value.value == "1,100.00" and value.delta == "+20.00 today"


def test_a_refused_lot_says_why(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    at = logged_in_app("pages/positions.py")
    next(b for b in at.button if b.label == "Add lot").click().run()
    assert as_read(at.error[0].value) == "Choose the symbol you bought."
    assert lots_of(engine, ann.id).empty


def test_the_dashboard_shows_the_lists_positions(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 110.0, 108.0)
    seed_quote(engine, "MSFT", 400.0, 405.0)
    add_lot(engine, ann.id, "AAPL", date(2025, 1, 2), 2, 100.0)
    add_lot(engine, ann.id, "MSFT", date(2025, 1, 2), 1, 420.0, fees=1.0)
    heartbeat(engine, 0)
    at = logged_in_app()
    assert "Positions" in [h.value for h in at.subheader]
    held = at.dataframe[1].value.set_index("symbol")
    assert held["quantity"].to_dict() == {"AAPL": 2.0, "MSFT": 1.0}
    value = next(m for m in at.metric if m.label == "Market value · USD")
    assert value.value == "620.00" and value.delta == "-1.00 today"
