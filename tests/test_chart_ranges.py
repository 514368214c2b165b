"""Chart ranges agree: each draws one continuous line per symbol from daily closes and the
prices the scheduler recorded, so "All" never shows less than "1 year" and "5 days" is whole
on a new install; a symbol keeps its colour in every range, and the charts follow the list."""

from datetime import timedelta

import pandas as pd
from sqlmodel import Session

from stockmon.app.chart_prices import stitched
from stockmon.domain.models import PriceHistory, utcnow
from stockmon.domain.watchlists import save_picks
from tests.test_app import ann, engine, logged_in_app, seed_quote  # noqa: F401 (fixtures)
from tests.test_history_app import backfill
from tests.time_charts import drawn_charts


def frame(symbol: str, moments: list[str], prices: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"symbol": symbol, "ts": pd.to_datetime(moments, utc=True), "price": prices}
    )


def test_recorded_prices_are_led_in_by_the_closes_of_the_days_before_them():
    closes = frame("AAPL", ["2026-03-02 12:00", "2026-03-03 12:00", "2026-03-04 12:00"], [1, 2, 3])
    recorded = frame("AAPL", ["2026-03-04 15:00", "2026-03-04 16:00"], [3.1, 3.2])
    line = stitched(closes, recorded, closes_first=False)
    assert line["price"].tolist() == [1, 2, 3.1, 3.2]  # the 4th's close gives way to its prices


def test_closes_are_followed_by_the_prices_recorded_after_the_last_bar():
    closes = frame("AAPL", ["2026-03-02 12:00", "2026-03-03 12:00"], [1, 2])
    recorded = frame("AAPL", ["2026-03-03 15:00", "2026-03-04 15:00"], [2.1, 2.5])
    line = stitched(closes, recorded, closes_first=True)
    assert line["price"].tolist() == [1, 2, 2.5]


def test_a_symbol_with_only_one_kind_of_price_keeps_it():
    closes = frame("AAPL", ["2026-03-02 12:00"], [1])
    recorded = frame("KO", ["2026-03-04 15:00"], [60])
    for closes_first in (True, False):
        line = stitched(closes, recorded, closes_first=closes_first)
        assert line.groupby("symbol")["price"].apply(list).to_dict() == {"AAPL": [1], "KO": [60]}


def record_prices(engine, symbol: str, days: int, price: float) -> None:  # noqa: F811
    """A recorded price every hour for the last ``days`` days."""
    now = utcnow()
    with Session(engine) as session:
        for hour in range(days * 24):
            session.add(PriceHistory(symbol=symbol, ts=now - timedelta(hours=hour), price=price))
        session.commit()


def charted(at, symbol: str) -> tuple[pd.Timestamp, int, str]:
    """The first time (the person's wall-clock time, as the chart is given it; a few hours do
    not matter here), the points and the colour of ``symbol``'s line on the comparison
    chart."""
    comparison = drawn_charts(at)[0]
    line = comparison.data[comparison.data["label"] == symbol]
    first = pd.Timestamp(line["time"].iloc[0]).tz_localize(None)
    return first, len(line), comparison.colors[symbol]


def test_every_range_shows_at_least_what_a_shorter_one_does(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 230.0, 228.0)
    seed_quote(engine, "MSFT", 410.0, 405.0)
    backfill(engine, ["AAPL", "MSFT"])  # a year of daily bars
    record_prices(engine, "AAPL", 2, 230.0)  # the scheduler started two days ago
    record_prices(engine, "MSFT", 2, 410.0)
    starts, colours = {}, {}
    for span in ("1 day", "5 days", "1 month", "3 months", "1 year", "All"):
        at = logged_in_app("pages/charts.py", query={"range": span})
        assert not at.exception, span
        starts[span], _points, colours[span] = charted(at, "MSFT")
    now = pd.Timestamp(utcnow()).tz_localize(None)
    # daily closes before the two recorded days: at least half a day before them, as when the
    # five days begin on a Saturday and the first close is Monday's (at noon)
    assert now - starts["5 days"] >= pd.Timedelta(days=2, hours=12)
    assert now - starts["1 month"] >= pd.Timedelta(days=27)
    assert now - starts["1 year"] >= pd.Timedelta(days=360)
    assert starts["All"] <= starts["1 year"] <= starts["3 months"] <= starts["1 month"]
    assert len(set(colours.values())) == 1  # one colour for MSFT in every range


def test_the_charts_follow_the_list_and_keep_their_colours_whatever_is_shown(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["TSLA", "AAPL", "MSFT"])
    for symbol in ("TSLA", "AAPL", "MSFT"):
        seed_quote(engine, symbol, 100.0, 99.0)
        record_prices(engine, symbol, 1, 100.0)
    at = logged_in_app("pages/charts.py", query={"range": "1 day"})
    titles = [link.proto.query_string for link in at.get("page_link")]
    assert titles == [f"symbol={s}" for s in ("TSLA", "AAPL", "MSFT")]  # also stacked
    colour = charted(at, "AAPL")[2]
    at.multiselect(key="symbols").unselect("TSLA").run()  # AAPL now comes first
    assert charted(at, "AAPL")[2] == colour


def test_charts_are_given_the_persons_wall_clock_so_any_browser_shows_it():
    """The chart's scale is UTC and its times are the person's wall-clock times written as
    UTC: a browser in another zone still reads 10:00 where the person's clock said 10:00."""
    from zoneinfo import ZoneInfo

    from stockmon.app.charts import price_figure

    ts = pd.Series(pd.date_range("2026-07-01 08:00", periods=3, freq="h", tz="UTC"))
    chart = price_figure(pd.DataFrame({"ts": ts, "price": [1.0, 2.0, 3.0]}), None,
                         ZoneInfo("Europe/Berlin"), "X")  # fmt: skip
    times = pd.to_datetime(chart.times, unit="s", utc=True)  # the browser shows them as UTC
    assert times.strftime("%H:%M").tolist() == ["10:00", "11:00", "12:00"]
