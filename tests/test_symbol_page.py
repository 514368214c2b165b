"""A page per stock (``symbol?symbol=AAPL``): the quote and how fresh it is, the ranges, the
chart, the person's lots, alerts and lists; reached from the ticker and a dashboard row; a
link naming no stock, or hostile text, gets one clear sentence."""

import re
from datetime import date

from sqlmodel import Session

from stockmon.app.presentation import escape_markdown
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.models import Quote, Symbol, utcnow
from stockmon.domain.money import currency_label
from stockmon.domain.positions import add_lot
from stockmon.domain.watchlists import save_picks
from tests.test_app import ann, engine, logged_in_app, seed_quote  # noqa: F401 (fixtures)
from tests.test_history_app import backfill
from tests.time_charts import drawn_charts

PAGE = "pages/symbol.py"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_one_stock_with_its_quote_ranges_chart_lots_alerts_and_lists(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    backfill(engine, ["AAPL"])
    add_lot(engine, ann.id, "AAPL", date(2026, 1, 5), 10, 200.0)
    create_rule(engine, ann.id, "AAPL", "above", 250.0)
    create_rule(engine, ann.id, "MSFT", "below", 300.0)  # another stock's: not shown
    at = logged_in_app(PAGE, query={"symbol": "aapl"})
    assert not at.exception
    assert at.title[0].value.startswith("AAPL · Apple")
    shown = metrics(at)
    assert shown["Price · USD"] == "230.50"
    assert shown["Previous close"] == "228.00"
    assert shown["Volume"] == "1,234,567"
    bars = [bar.proto.text for bar in at.get("progress")]
    assert bars[0] == "Day's range: 228.00 to 230.50"
    assert bars[1].startswith("52-week range: ")  # from the year of daily bars
    facts = " ".join(c.value for c in at.caption)
    assert "fetched" in facts
    assert "None" not in facts and "nan" not in facts
    assert drawn_charts(at)  # the price over the range (a month by default)
    assert any(label.startswith("Market value") for label in shown)  # the 10 shares held
    rules = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(rules) == 1 and "AAPL" in rules[0] and "250" in rules[0]
    assert "On your lists: My stocks" in facts


def test_a_stock_without_a_quote_says_why_and_nothing_is_none(engine, ann):  # noqa: F811
    at = logged_in_app(PAGE, query={"symbol": "NVDA"})
    assert not at.exception
    assert "NVDA has no quote: waiting for first quote." in [i.value for i in at.info]
    assert "On none of your lists." in [c.value for c in at.caption]
    assert "None" not in " ".join(m.value for m in at.markdown)


def test_a_sparse_quote_shows_dashes_not_none(engine, ann):  # noqa: F811
    with Session(engine) as session:
        session.add(Quote(symbol="KO", price=61.5, fetched_at=utcnow()))  # a price, nothing else
        session.commit()
    at = logged_in_app(PAGE, query={"symbol": "KO"})
    assert not at.exception
    shown = metrics(at)
    assert shown["Price · USD"] == "61.50" and shown["Previous close"] == "—"
    assert shown["Volume"] == "—"
    on_screen = " ".join([*shown.values(), *(c.value for c in at.caption)])
    on_screen += " ".join(str(m.proto.delta) for m in at.metric)
    assert not re.search(r"\b(None|nan|NaN)\b", on_screen), on_screen


def test_a_link_naming_no_stock_gets_one_sentence_and_echoes_nothing(engine, ann):  # noqa: F811
    for hostile in ("<script>alert(1)</script>", "", "A" * 40, "../status"):
        at = logged_in_app(PAGE, query={"symbol": hostile})
        assert not at.exception
        assert [e.value for e in at.error] == [
            "This link names no stock. Open one from the dashboard, the charts or your alerts."
        ]
        assert "script" not in " ".join(t.value for t in at.title)


def test_a_listing_in_pence_says_so(engine, ann):  # noqa: F811
    with Session(engine) as session:
        session.add(Symbol(symbol="TSCO.LON", name="Tesco PLC", exchange="LSE", currency="GBX"))
        session.commit()
    seed_quote(engine, "TSCO.LON", 350.0, 348.0)
    at = logged_in_app(PAGE, query={"symbol": "TSCO.LON"})
    assert not at.exception
    assert "Price · GBX (pence)" in metrics(at)
    assert currency_label("GBp") == "GBp (pence)" and currency_label("USD") == "USD"


def test_the_ticker_and_the_table_lead_to_the_stock(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "BRK.B"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    seed_quote(engine, "BRK.B", 480.0, 479.0)
    at = logged_in_app()
    ticker = next(h.proto.body for h in at.get("html") if 'class="stockmon-ticker"' in h.proto.body)
    assert 'href="symbol?symbol=AAPL"' in ticker and 'href="symbol?symbol=BRK.B"' in ticker
    table = at.dataframe[0]
    assert table.proto.selection_mode  # a row can be clicked (the browser test clicks one)


def symbol_links(at) -> list[tuple[str, str]]:
    """The page's links to a stock's own page: (label, query string)."""
    return [
        (link.proto.label, link.proto.query_string)
        for link in at.get("page_link")
        if link.proto.page.endswith("symbol")
    ]


def test_the_charts_alerts_and_picker_lead_to_the_stock(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "BRK.B"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    seed_quote(engine, "BRK.B", 480.0, 479.0)
    create_rule(engine, ann.id, "BRK.B", "above", 500.0)

    charts = logged_in_app("pages/charts.py", query={"range": "1 day", "view": "Prices"})
    assert not charts.exception
    assert [query for _label, query in symbol_links(charts)] == [
        "symbol=AAPL",
        "symbol=BRK.B",
    ]
    assert symbol_links(charts)[0][0] == escape_markdown("AAPL · Apple Inc.")  # shown as text

    alerts = logged_in_app("pages/alerts.py")
    assert symbol_links(alerts) == [(escape_markdown("BRK.B"), "symbol=BRK.B")]

    picker = logged_in_app("pages/picker.py")
    table = next(t for t in picker.dataframe if "symbol" in t.value.columns)
    assert table.proto.selection_mode  # a row's box opens its page (as on the dashboard)


def test_company_facts_show_when_the_provider_gave_them(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 230.5, 228.0)
    seed_quote(engine, "MSFT", 400.0, 401.0)
    with Session(engine) as session:
        apple = session.get(Symbol, "AAPL")
        apple.sector, apple.market_cap, apple.pe_ratio = "TECHNOLOGY", 3.44e12, 34.52
        session.add(apple)
        microsoft = session.get(Symbol, "MSFT")
        microsoft.sector = "*hostile* <b>sector</b>"
        session.add(microsoft)
        session.commit()
    at = logged_in_app(PAGE, query={"symbol": "AAPL"})
    shown = metrics(at)
    assert shown["Sector"] == "Technology"
    assert shown["Market cap · USD"] == "3.44 T" and shown["P/E (trailing)"] == "34.52"

    at = logged_in_app(PAGE, query={"symbol": "MSFT"})
    shown = metrics(at)
    assert shown["Sector"] == escape_markdown("*Hostile* <B>Sector</B>")  # text, not markup
    assert "Market cap · USD" not in shown and "P/E (trailing)" not in shown  # only what came

    at = logged_in_app(PAGE, query={"symbol": "NVDA"})  # nothing told yet
    assert "Sector" not in metrics(at)
    assert any(c.value.startswith("Company facts") for c in at.caption)


def test_the_next_earnings_report_shows_as_a_badge_with_its_estimate(engine, ann):  # noqa: F811
    from datetime import timedelta

    from stockmon.domain.earnings import EarningsDate, ReportTime
    from stockmon.scheduler import earnings_calendar

    seed_quote(engine, "AAPL", 230.5, 228.0)
    seed_quote(engine, "KO", 61.5, 61.0)
    now = utcnow()
    day = now.date() + timedelta(days=1)
    report = EarningsDate("AAPL", day, ReportTime.AFTER_CLOSE, date(2026, 12, 27), -0.25)
    earnings_calendar.record(engine, ["AAPL", "KO"], [report], now)
    at = logged_in_app(PAGE, query={"symbol": "AAPL"})
    assert not at.exception
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert badges == [":violet-badge[:material/event: Earnings tomorrow, after close]"]
    captions = [c.value for c in at.caption]
    assert "EPS estimate -0.25 · for the quarter ending 27 Dec 2026" in captions
    at = logged_in_app(PAGE, query={"symbol": "KO"})  # asked: no report within 3 months
    assert not [m.value for m in at.markdown if "badge[" in m.value]
    assert any(c.value.startswith("No earnings date known") for c in at.caption)
