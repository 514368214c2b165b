"""The dashboard's rough edges, through AppTest: errors of rejected symbols, one verdict on the
scheduler in the banner and the sidebar, the market's status, rows that just changed."""

import csv
import io
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from stockmon.app import ui
from stockmon.app.charts import history_csv
from stockmon.app.dashboard import CHANGED_ROW
from stockmon.app.queries import price_history
from stockmon.app.snapshot import take_snapshot
from stockmon.domain.db import upsert
from stockmon.domain.models import LAST_CYCLE_AT, FetchStatus, Quote, SchedulerState, utcnow
from stockmon.domain.watchlists import save_picks
from tests.test_app import ann, engine, logged_in_app, seed_quote  # noqa: F401 (fixtures)


def heartbeat(engine, minutes_ago: float) -> None:  # noqa: F811
    at = utcnow() - timedelta(minutes=minutes_ago)
    with engine.begin() as conn:
        upsert(
            conn,
            SchedulerState.__table__,
            [{"key": LAST_CYCLE_AT, "value": at.isoformat(), "updated_at": at}],
            keys=["key"],
        )


def test_a_rejected_symbol_shows_its_error_and_empty_cells_a_dash(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "GME"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    with engine.begin() as conn:
        conn.execute(
            FetchStatus.__table__.insert(),
            {
                "symbol": "GME",
                "last_attempt_at": utcnow(),
                "last_error": "no quote for GME (unknown symbol)",
                "consecutive_failures": 2,
            },
        )
    heartbeat(engine, 0)
    at = logged_in_app()
    assert not at.exception
    table = at.dataframe[0].value
    assert table.iloc[1]["Updated"] == "no quote for GME (unknown symbol)"
    assert "None" not in table.astype(str).iloc[0].tolist()
    assert table.iloc[0]["Updated"].endswith("UTC")  # a labelled local time


def test_a_late_scheduler_is_one_verdict_in_banner_and_sidebar(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 230.5, 228.0, minutes_old=12)
    heartbeat(engine, 12)
    at = logged_in_app()
    assert "The scheduler last ran 12 min ago" in at.main.warning[0].value
    assert at.sidebar.warning[0].value == "Scheduler last ran 12 min ago. Is it running?"


def test_a_running_scheduler_is_not_called_late(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    heartbeat(engine, 0)
    at = logged_in_app()
    assert not at.main.warning and not at.sidebar.warning
    assert any(c.value.startswith("US market ") for c in at.main.caption)


def test_rows_whose_price_changed_are_highlighted_until_the_next_refresh(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    seed_quote(engine, "MSFT", 410.0, 415.0)
    heartbeat(engine, 0)
    at = logged_in_app()
    assert at.session_state["dashboard_prices"] == {"AAPL": 230.5, "MSFT": 410.0}
    with engine.begin() as conn:
        conn.execute(update(Quote).where(Quote.symbol == "AAPL").values(price=231.0))
    st.cache_data.clear()  # the next refresh period's snapshot
    at.run()
    assert at.session_state["dashboard_prices"]["AAPL"] == 231.0
    data = take_snapshot(engine, utcnow()).for_picks(["AAPL", "MSFT"], {})
    styled = data.styled_table(UTC, changed={"AAPL"})
    styled._compute()
    highlighted = {
        row
        for (row, _), props in styled.ctx.items()
        if ("background-color", CHANGED_ROW.split(": ")[1]) in props
    }
    assert highlighted == {0}  # AAPL's row only


def test_a_database_past_its_time_limit_shows_a_message_not_a_traceback(engine, ann, monkeypatch):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])

    def cancelled(*_args):
        raise OperationalError("SELECT ...", {}, Exception("canceling statement due to timeout"))

    monkeypatch.setattr(ui, "take_snapshot", cancelled)
    at = logged_in_app()
    assert not at.exception
    assert any("The database did not answer in time" in w.value for w in at.warning)


def test_the_table_and_the_prices_download_as_csv(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "GME"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    heartbeat(engine, 0)
    at = logged_in_app()
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV"]
    table = take_snapshot(engine, utcnow()).for_picks(["AAPL", "GME"], {}).table_csv(UTC)
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["Symbol"] for r in rows] == ["AAPL", "GME"] and "Trend" not in rows[0]
    assert float(rows[0]["Price"]) == 230.5 and rows[1]["Price"] == ""
    assert rows[1]["Updated"] == "waiting for first quote"
    history = price_history(engine, ["AAPL"], None, utcnow())
    prices = list(csv.DictReader(io.StringIO(history_csv(history, ZoneInfo("Europe/Berlin")))))
    assert len(prices) == len(history) and prices[0]["symbol"] == "AAPL"
    assert prices[0]["time"].endswith(("+01:00", "+02:00"))
    charts = logged_in_app("pages/charts.py")
    assert [b.proto.label for b in charts.get("download_button")] == ["Download prices (CSV)"]


def test_the_table_fits_its_default_columns_and_keeps_a_persons_choice(engine, ann):  # noqa: F811
    from stockmon.app.dashboard import DEFAULT_COLUMNS, TABLE_COLUMNS

    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 110.0, 108.0)
    heartbeat(engine, 0)
    at = logged_in_app()
    table = at.dataframe[0]
    assert list(table.value.columns) == TABLE_COLUMNS  # the data: every column, in one order
    assert list(table.proto.column_order) == ["Symbol", "Price", "Change %", *DEFAULT_COLUMNS]

    chooser = next(m for m in at.multiselect if m.label == "Columns to show")
    chooser.set_value(["Volume", "Updated", "Currency"]).run()
    expected = ["Symbol", "Price", "Change %", "Currency", "Volume", "Updated"]
    assert list(at.dataframe[0].proto.column_order) == expected
    again = logged_in_app()  # a new session: the choice came from the account
    assert list(again.dataframe[0].proto.column_order) == expected


def test_reports_within_two_weeks_show_as_badges_and_every_one_in_its_column(engine, ann):  # noqa: F811
    from stockmon.domain.earnings import EarningsDate, ReportTime
    from stockmon.scheduler import earnings_calendar

    save_picks(engine, ann.id, ["AAPL", "MSFT", "KO", "GME"])
    for symbol in ("AAPL", "MSFT", "KO"):
        seed_quote(engine, symbol, 100.0, 99.0)
    heartbeat(engine, 0)
    now = utcnow()
    reports = [
        EarningsDate("MSFT", now.date() + timedelta(days=30), ReportTime.BEFORE_OPEN),
        EarningsDate("AAPL", now.date(), ReportTime.AFTER_CLOSE),
        EarningsDate("KO", now.date() + timedelta(days=-3)),  # reported already
    ]
    earnings_calendar.record(engine, ["AAPL", "MSFT", "KO"], reports, now)
    at = logged_in_app()
    assert not at.exception
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert badges == [":violet-badge[:material/event: AAPL · Earnings today, after close]"]
    column = at.dataframe[0].value.set_index("Symbol")["Earnings"]
    assert column["AAPL"] == "today, after close"
    assert column["MSFT"].endswith(", before open") and column["MSFT"][:3].isalpha()
    assert column[["KO", "GME"]].tolist() == ["—", "—"]
    chooser = next(m for m in at.multiselect if m.label == "Columns to show")
    assert "Earnings" in chooser.options
