"""Every page on a real provider's answers (a fake Alpha Vantage on 127.0.0.1): quoted,
rejected, failing and waiting symbols side by side, each labelled with what its price is, and
no cell reading "None"."""

from __future__ import annotations

from datetime import UTC, date

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from stockmon.domain.models import utcnow
from stockmon.domain.positions import add_lot
from stockmon.domain.watchlists import save_picks
from stockmon.scheduler.budget import Limits
from tests.conftest import av_refresher
from tests.test_app import ann, engine, logged_in_app  # noqa: F401 (fixtures)

PICKS = ["AAPL", "MSFT", "NVDA", "TSLA"]


NULL = "<empty>"
CHART_COLUMNS = {"Day range", "52-week range", "Trend"}  # drawn blank when empty


def shown_cells(at: AppTest, index: int = 0) -> pd.DataFrame:
    """The cells of a page's ``index``-th table as Streamlit's grid draws them: a styled
    table's display value, except where the value itself is empty (the grid then draws
    "None" in a text or number column, whatever the styler says): ``NULL`` there."""
    element = at.dataframe[index]
    values = element.value
    styled = element.proto.arrow_data.styler.display_values
    shown = convert_arrow_bytes_to_pandas_df(styled) if styled else values
    shown = shown.astype(str)
    shown.columns = values.columns
    return shown.mask(values.isna().to_numpy(), NULL)


def no_none_anywhere(frame: pd.DataFrame) -> None:
    drawn = frame.drop(columns=[c for c in frame.columns if c in CHART_COLUMNS])
    cells = set(drawn.to_numpy().ravel())
    assert not cells & {"None", "nan", "NaN", "<NA>", "NaT", NULL}, cells


@pytest.fixture
def real_quotes(engine, ann, fake_av):  # noqa: F811
    """ann's picks after one cycle of a free key: AAPL quoted, NVDA rejected as unknown, MSFT
    failing (HTTP 500, retried once), TSLA waiting (the minute's four requests spent)."""
    save_picks(engine, ann.id, PICKS)
    fake_av.script.update({"NVDA": "empty", "MSFT": "http500"})
    refresher = av_refresher(engine, fake_av, utcnow, [], Limits(per_minute=4, per_day=25))
    summary = refresher.run_cycle()
    assert (summary.fetched, summary.failed, summary.tracked) == (1, 2, 4)
    return engine


def test_the_dashboard_says_why_each_price_is_missing_in_its_price_cell(real_quotes):
    at = logged_in_app()
    assert not at.exception
    cells = shown_cells(at).set_index("Symbol")
    assert list(cells.columns[:2]) == ["Price", "Change %"]  # seen without scrolling
    assert cells.at["NVDA", "Price"] == "no quote: unknown symbol"
    assert cells.at["MSFT", "Price"] == "no quote yet: last try failed"
    assert cells.at["TSLA", "Price"] == "waiting for first quote"
    assert cells.at["AAPL", "Price"] == "112.13"
    assert cells.at["AAPL", "Data"] == "end of day"
    assert cells.at["AAPL", "Price time"] == "Fri 5 Oct, no time given"
    assert cells.at["NVDA", "52-week range"] == "—"  # no history: no 52-week bar
    no_none_anywhere(cells.reset_index())


def test_the_dashboard_says_what_the_data_allows(real_quotes):
    at = logged_in_app()
    captions = [c.value for c in at.main.caption]
    pace = next(c for c in captions if c.startswith("Alpha Vantage"))
    assert pace.startswith(
        "Alpha Vantage free plan: end-of-day prices; each symbol refreshed about every "
    )
    assert "of trading time" in pace and " · next: " in pace
    assert any("checks every 5 s" in c for c in captions)
    assert not any("refreshes every" in c for c in captions)
    sidebar = [c.value for c in at.sidebar.caption]
    assert "Quotes: Alpha Vantage free plan · end of day prices" in sidebar
    ticker = next(h.proto.body for h in at.get("html") if 'class="stockmon-ticker"' in h.proto.body)
    assert 'title="AAPL · end of day · Fri 5 Oct, no time given"' in ticker


def test_the_csv_leaves_empty_cells_empty_and_says_what_each_price_is(real_quotes):
    from stockmon.app.snapshot import take_snapshot

    csv = take_snapshot(real_quotes, utcnow()).for_picks(PICKS, {}).table_csv(UTC)
    rows = {line.split(",")[0]: line for line in csv.splitlines()[1:]}
    assert "end of day" in rows["AAPL"] and "None" not in csv and "nan" not in csv
    assert rows["TSLA"].startswith("TSLA,,,")


def test_the_status_page_tells_rejected_from_waiting(real_quotes):
    at = logged_in_app("pages/status.py")
    assert not at.exception
    assert any("The provider rejects 1 of 4 tracked symbols" in w.value for w in at.warning)
    assert any("2 of 4 tracked symbols wait for their first quote" in i.value for i in at.info)
    assert not any("4 of 4" in i.value for i in at.info)
    cells = shown_cells(at).set_index("Symbol")
    assert cells.at["NVDA", "State"] == "rejected: unknown symbol"
    no_none_anywhere(cells)
    text = " ".join(m.value for m in at.markdown)
    assert "**prices** end of day" in text and "Alpha Vantage free plan" in text
    summary = " ".join(c.value for c in at.caption)
    assert "requests left: 0 in this minute, 21 in the last 24 h" in summary


def test_the_picker_and_positions_show_a_dash_for_what_is_missing(real_quotes, ann):  # noqa: F811
    at = logged_in_app("pages/picker.py")
    assert not at.exception
    no_none_anywhere(shown_cells(at))
    add_lot(real_quotes, ann.id, "NVDA", date(2026, 1, 5), 3, 120.0)
    at = logged_in_app("pages/positions.py")
    assert not at.exception
    positions = shown_cells(at)
    no_none_anywhere(positions)
    assert "—" in positions.set_index("symbol").loc["NVDA"].tolist()


def test_a_first_start_with_a_key_says_nothing_is_tracked(engine, ann, fake_av):  # noqa: F811
    summary = av_refresher(engine, fake_av, utcnow, []).run_cycle()
    assert summary.tracked == 0 and fake_av.received == []
    at = logged_in_app("pages/status.py")
    assert any("Nothing is tracked" in i.value for i in at.info)


def test_charts_and_alerts_read_well_without_prices(real_quotes, ann):  # noqa: F811
    from stockmon.domain.alert_rules import create_rule

    create_rule(real_quotes, ann.id, "NVDA", "above", 150.0)
    create_rule(real_quotes, ann.id, "AAPL", "below", 100.0)
    for page in ("pages/charts.py", "pages/alerts.py"):
        at = logged_in_app(page)
        assert not at.exception, page
        for index in range(len(at.dataframe)):
            no_none_anywhere(shown_cells(at, index))
