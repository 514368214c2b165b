"""Every page on Finnhub's answers (a fake Finnhub on 127.0.0.1): real-time prices with their
market time, a listing outside the plan, an unknown symbol, a streamed price, the stream on the
Status page and the long chart ranges without daily history; no cell reading "None"."""

from __future__ import annotations

import pytest

from stockmon.domain.config import ProviderChoice
from stockmon.domain.db import upsert
from stockmon.domain.models import (
    DAILY_HISTORY,
    STREAM_ERROR,
    STREAM_SINCE,
    STREAM_STATE,
    STREAM_SYMBOLS,
    STREAM_TRADES_MINUTE,
    SchedulerState,
    StreamState,
    table_of,
    utcnow,
)
from stockmon.domain.watchlists import save_picks
from stockmon.providers.finnhub import FinnhubProvider
from stockmon.scheduler.budget import Limits, RequestBudget
from stockmon.scheduler.ingest import Refresher
from stockmon.scheduler.stream import TradeStream
from tests.test_app import ann, engine, logged_in_app  # noqa: F401 (fixtures)
from tests.test_real_quotes_app import no_none_anywhere, shown_cells
from tests.test_stream import WAIT, eventually, price_of

PICKS = ["AAPL", "MSFT", "NVDA", "TSLA"]


@pytest.fixture
def finnhub_quotes(engine, ann, fake_fh):  # noqa: F811
    """ann's picks after one Finnhub cycle: AAPL and MSFT quoted in real time, NVDA outside
    the plan (HTTP 403), TSLA unknown (every number zero); the leader's heartbeat as written."""
    save_picks(engine, ann.id, PICKS)
    fake_fh.prices.update(AAPL=261.74, MSFT=480.25)
    fake_fh.script["NVDA"] = "forbidden"
    limits = Limits(per_minute=60, per_day=0, per_second=30)
    budget = RequestBudget(engine, ProviderChoice.FINNHUB.value, limits)
    provider = FinnhubProvider(fake_fh.api_key, fake_fh.url, gate=budget.take, retry_wait=0)
    summary = Refresher(engine, provider, budget).run_cycle()
    assert (summary.fetched, summary.failed) == (2, 2)
    now = utcnow()
    facts = {DAILY_HISTORY: ""}
    rows = [{"key": k, "value": v, "updated_at": now} for k, v in facts.items()]
    with engine.begin() as conn:
        upsert(conn, table_of(SchedulerState), rows, keys=["key"])
    return engine


def test_the_dashboard_labels_real_time_prices_and_says_why_others_are_missing(finnhub_quotes):
    at = logged_in_app()
    assert not at.exception
    cells = shown_cells(at).set_index("Symbol")
    assert cells.at["AAPL", "Price"] == "261.74"
    assert cells.at["AAPL", "Data"] == "real-time"
    assert cells.at["AAPL", "Price time"] not in ("", "—")
    assert cells.at["NVDA", "Price"] == "no quote: not on this plan"
    assert cells.at["TSLA", "Price"] == "no quote: unknown symbol"
    no_none_anywhere(cells.reset_index())
    sidebar = [c.value for c in at.sidebar.caption]
    assert any(c.startswith("Quotes: Finnhub free plan") for c in sidebar), sidebar


def test_a_streamed_trade_reaches_the_dashboard(finnhub_quotes, fake_fh):
    stream = TradeStream(finnhub_quotes, fake_fh.stream.url, fake_fh.api_key, None)
    stream.follow(PICKS)
    stream.start()
    try:
        assert fake_fh.stream.wait_for(lambda: "AAPL" in fake_fh.stream.subscribed(), WAIT)
        fake_fh.stream.trade("AAPL", 263.5)
        eventually(lambda: price_of(finnhub_quotes, "AAPL") == 263.5)
    finally:
        stream.stop()
    cells = shown_cells(logged_in_app()).set_index("Symbol")
    assert cells.at["AAPL", "Price"] == "263.50"
    assert cells.at["AAPL", "Data"] == "real-time"


def test_the_status_page_shows_the_stream_and_the_plan(finnhub_quotes):
    now = utcnow()
    facts = {
        STREAM_STATE: StreamState.CONNECTED.value,
        STREAM_SINCE: now.isoformat(),
        STREAM_SYMBOLS: "2",
        STREAM_TRADES_MINUTE: "41",
        STREAM_ERROR: "Subscribing to too many symbols",
    }
    rows = [{"key": k, "value": v, "updated_at": now} for k, v in facts.items()]
    with finnhub_quotes.begin() as conn:
        upsert(conn, table_of(SchedulerState), rows, keys=["key"])
    at = logged_in_app("pages/status.py")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Finnhub free plan" in text and "**prices** real-time" in text
    assert "**Trade stream** connected since " in text
    assert "2 symbols subscribed · 41 trades in the last minute" in text
    captions = " ".join(c.value for c in at.caption)
    assert "Last stream error: Subscribing to too many symbols" in captions
    assert "Finnhub gives no daily history on this plan: the daily bars grow" in captions
    assert "Daily history for" not in captions
    cells = shown_cells(at).set_index("Symbol")
    assert cells.at["NVDA", "State"] == "rejected: not on this plan"
    no_none_anywhere(cells)


def test_long_chart_ranges_say_the_provider_has_no_daily_history(finnhub_quotes):
    at = logged_in_app("pages/charts.py", query={"range": "1 year"})
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Finnhub gives no daily history on this plan" in captions
