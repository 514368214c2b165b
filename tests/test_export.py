"""Every CSV download is inert in a spreadsheet: text from people or providers that starts like
a formula is prefixed, numbers are not (OWASP's rule)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date

import pandas as pd

from stockmon.app.charts import history_csv
from stockmon.app.snapshot import take_snapshot
from stockmon.domain.db import upsert
from stockmon.domain.export import csv_text
from stockmon.domain.gains import holdings
from stockmon.domain.models import Symbol, utcnow
from stockmon.domain.positions import add_lot, book_of
from stockmon.domain.watchlists import save_picks
from tests.conftest import quote_arrives

HOSTILE_NAME = '=HYPERLINK("http://attacker.example/x","click")'


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_every_formula_start_is_made_inert_and_numbers_stay_numbers():
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "plain", "-0.5", None],
            "number": [-1.5, 2.0, -3.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    shown = rows(csv_text(frame))
    assert [r["text"] for r in shown] == [
        "'=1+1", "+1", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx", "plain", "-0.5", "",
    ]  # fmt: skip
    assert shown[0]["number"] == "-1.5"


def test_the_dashboard_positions_and_prices_downloads_are_inert(engine, user_id):
    with engine.begin() as conn:
        upsert(
            conn,
            Symbol.__table__,
            [{"symbol": "EVIL", "name": HOSTILE_NAME, "exchange": "", "currency": "=1+1"}],
            keys=["symbol"],
        )
    save_picks(engine, user_id, ["EVIL"])
    quote_arrives(engine, "EVIL", 10.0, change_percent=-2.5)
    snapshot = take_snapshot(engine, utcnow())
    dashboard = rows(snapshot.for_picks(["EVIL"], {}).table_csv(UTC))[0]
    assert dashboard["Company"] == "'" + HOSTILE_NAME and dashboard["Currency"] == "'=1+1"
    assert dashboard["Change %"] == "-2.5"
    add_lot(engine, user_id, "EVIL", date(2026, 1, 5), 2, 9.0)
    held = holdings(book_of(engine, user_id), snapshot.quotes.reset_index(), {"EVIL": "=1+1"})
    assert rows(held.csv())[0]["currency"] == "'=1+1"
    history = pd.DataFrame({"symbol": ["=EVIL"], "ts": [pd.Timestamp(utcnow())], "price": [-1.0]})
    prices = rows(history_csv(history, UTC))[0]
    assert prices["symbol"] == "'=EVIL" and prices["price"] == "-1.0"
