"""Daily history through AppTest: long chart ranges from daily bars (with candlesticks), the
backfill's progress, and the 52-week range on the dashboard."""

from stockmon.domain.models import utcnow
from stockmon.domain.watchlists import save_picks
from stockmon.providers import DemoProvider
from stockmon.scheduler.backfill import Backfill
from tests.test_app import ann, engine, logged_in_app, seed_quote  # noqa: F401 (fixtures)
from tests.test_dashboard_page import heartbeat
from tests.time_charts import drawn_charts


def backfill(engine, symbols) -> None:  # noqa: F811
    market = DemoProvider(seed=4, now=utcnow)
    Backfill(engine, market, None, 0.2, utcnow).run(symbols)


def test_a_year_of_history_on_the_charts_page(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 230.0, 228.0)
    seed_quote(engine, "MSFT", 410.0, 405.0)
    backfill(engine, ["AAPL"])
    at = logged_in_app("pages/charts.py", query={"range": "1 year", "view": "Prices"})
    assert not at.exception
    assert at.button_group(key="range").value == "1 year"
    assert "Daily history for 1 of 2 symbols so far" in " ".join(c.value for c in at.caption)
    assert len(drawn_charts(at)) == 2  # AAPL's year, MSFT's recorded days
    at.toggle(key="candles").set_value(True).run()
    assert not at.exception
    assert any('"type":"candlestick"' in c.proto.spec for c in at.get("plotly_chart"))


def test_the_dashboard_shows_where_the_price_stands_in_its_year(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "KO"])
    seed_quote(engine, "AAPL", 230.0, 228.0)
    seed_quote(engine, "KO", 61.0, 60.0)
    backfill(engine, ["AAPL"])
    heartbeat(engine, 0)
    at = logged_in_app()
    table = at.dataframe[0].value.set_index("Symbol")
    assert 0 <= table.at["AAPL", "52-week range"] <= 100
    assert table["52-week range"].isna().tolist() == [False, True]  # KO: no history yet
