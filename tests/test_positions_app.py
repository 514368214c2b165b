"""Positions through AppTest: lots added on the Positions page, valued on the dashboard."""

import json
from datetime import date

from stockmon.domain.catalog import CatalogEntry
from stockmon.domain.positions import add_lot, book_of
from stockmon.domain.schema import seed_catalog
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
    lots = book_of(engine, ann.id).lots
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
    assert book_of(engine, ann.id).lots.empty


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


def test_a_sale_recorded_on_the_positions_page_shows_its_realised_gain(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 110.0, 108.0)
    heartbeat(engine, 0)
    add_lot(engine, ann.id, "AAPL", date(2025, 1, 2), 10, 100.0)
    at = logged_in_app("pages/positions.py")
    at.selectbox[1].set_value("AAPL")  # the sale form's symbol
    at.number_input[3].set_value(4)  # quantity sold
    at.number_input[4].set_value(125.0)  # price received
    next(b for b in at.button if b.label == "Record sale").click().run()
    assert not at.exception and not at.error
    assert book_of(engine, ann.id).sales["quantity"].tolist() == [4.0]
    assert "Sales" in [h.value for h in at.subheader]
    positions = at.dataframe[0].value.set_index("symbol")
    assert positions.at["AAPL", "quantity"] == 6.0
    assert positions.at["AAPL", "realised_gain"] == 100.0
    assert any("realised +100.00" in c.value for c in at.caption)
    shown = "\n".join(str(frame.value.to_dict()) for frame in at.dataframe)
    assert "None" not in shown and "nan" not in shown


def test_a_sale_of_more_than_is_held_says_why(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    add_lot(engine, ann.id, "AAPL", date(2025, 1, 2), 1, 100.0)
    at = logged_in_app("pages/positions.py")
    at.selectbox[1].set_value("AAPL")
    at.number_input[3].set_value(2)
    next(b for b in at.button if b.label == "Record sale").click().run()
    assert "would sell more than the 1 held then" in as_read(at.error[0].value)
    assert book_of(engine, ann.id).sales.empty


def test_a_broker_csv_is_previewed_then_imported_once(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    data = b"type,symbol,date,quantity,price\nbuy,AAPL,2025-01-10,3,100\nbuy,KO,2025-01-10,1,50\n"
    at = logged_in_app("pages/positions.py")
    at.file_uploader[0].upload("broker.csv", data, "text/csv").run()
    assert not at.exception
    assert "1 of 2 rows are refused" in at.error[0].value
    assert not [b for b in at.button if b.label.startswith("Import")]
    assert book_of(engine, ann.id).empty

    at.file_uploader[0].upload("broker.csv", data.rsplit(b"buy,KO", 1)[0], "text/csv").run()
    preview = at.dataframe[0].value
    assert preview["status"].tolist() == ["new"]
    next(b for b in at.button if b.label == "Import 1 new rows").click().run()
    assert not at.exception
    assert book_of(engine, ann.id).lots["symbol"].tolist() == ["AAPL"]
    assert any("already imported" in i.value for i in at.info)


def test_a_price_is_entered_in_the_listings_currency_pence_said(engine, ann):  # noqa: F811
    seed_catalog(engine, [CatalogEntry("TSCO.LON", "Tesco PLC", "LSE", "GBX", 3.0)])
    save_picks(engine, ann.id, ["TSCO.LON"])
    at = logged_in_app("pages/positions.py")
    for form in (0, 1):  # buying and selling
        assert at.selectbox[form].options == ["TSCO.LON · Tesco PLC · GBX (pence)"]


def test_a_long_symbol_is_never_cut_off(engine, ann):  # noqa: F811
    seed_catalog(engine, [CatalogEntry("TSCO.LON", "Tesco PLC", "LSE", "GBX", 3.0)])
    save_picks(engine, ann.id, ["TSCO.LON"])
    add_lot(engine, ann.id, "TSCO.LON", date(2025, 1, 2), 100, 300.0)
    at = logged_in_app("pages/positions.py")
    for table in at.dataframe:
        symbol = json.loads(table.proto.columns)["symbol"]
        assert symbol["width"] >= 9 * len("TSCO.LON") and symbol["pinned"]
