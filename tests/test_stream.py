"""Finnhub's trade stream against the fake stream over a real WebSocket, on both databases."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from stockmon.domain.alert_rules import create_rule
from stockmon.domain.models import (
    STREAM_ERROR,
    STREAM_STATE,
    STREAM_SYMBOLS,
    AlertEvent,
    PriceHistory,
    Quote,
    SchedulerState,
    StreamState,
)
from stockmon.scheduler import stream as stream_module
from stockmon.scheduler.leadership import LeadershipLost
from stockmon.scheduler.stream import TradeStream, stream_symbols
from tests.conftest import quote_arrives

WAIT = 20.0  # seconds: a loaded two-core machine connects and writes well within this


def eventually(condition: Callable[[], object], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def started(engine, fake_fh) -> Iterator[Callable[..., TradeStream]]:
    streams: list[TradeStream] = []

    def start(symbols=("AAPL", "MSFT"), **kwargs) -> TradeStream:
        kwargs.setdefault("point_seconds", 60.0)
        stream = TradeStream(engine, fake_fh.stream.url, fake_fh.api_key, None, **kwargs)
        stream.follow(list(symbols))
        stream.start()
        streams.append(stream)
        return stream

    yield start
    for stream in streams:
        stream.stop()


def price_of(engine, symbol: str) -> float | None:
    with Session(engine) as session:
        quote = session.get(Quote, symbol)
        return quote.price if quote else None


def history_points(engine, symbol: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(PriceHistory).where(PriceHistory.symbol == symbol)
        ).scalar_one()


def state(engine, key: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(col(SchedulerState.value)).where(col(SchedulerState.key) == key)
        ).scalar()


def test_follows_us_symbols_up_to_the_cap():
    tracked = ["AAPL", "TSCO.LON", "BRK.B", "SHOP.TRT", "VOD.L", "NVDA", "IBM"]
    assert stream_symbols(tracked, cap=3) == ["AAPL", "BRK.B", "NVDA"]  # a class share is US


def test_trades_move_the_price_and_the_change_between_polls(engine, fake_fh, started):
    quote_arrives(engine, "AAPL", 100.0)  # polled: previous close 100
    started()
    assert fake_fh.stream.wait_for(lambda: fake_fh.stream.subscribed() == {"AAPL", "MSFT"}, WAIT)
    traded_at = int(datetime(2026, 12, 1, 15, 0, tzinfo=UTC).timestamp() * 1000)
    fake_fh.stream.trade("AAPL", 101.5, at_ms=traded_at)
    eventually(lambda: price_of(engine, "AAPL") == 101.5)
    with Session(engine) as session:
        quote = session.get(Quote, "AAPL")
    assert quote.change == pytest.approx(1.5)
    assert quote.change_percent == pytest.approx(1.5)
    assert quote.market_time.replace(tzinfo=UTC) == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert quote.previous_close == 100.0 and quote.open == 100.0  # still from /quote


def test_a_symbol_not_polled_yet_waits_for_its_first_quote(engine, fake_fh, started):
    started()
    assert fake_fh.stream.wait_for(lambda: "MSFT" in fake_fh.stream.subscribed(), WAIT)
    fake_fh.stream.trade("MSFT", 400.0)
    quote_arrives(engine, "AAPL", 100.0)
    fake_fh.stream.trade("AAPL", 99.0)
    eventually(lambda: price_of(engine, "AAPL") == 99.0)
    assert price_of(engine, "MSFT") is None


def test_history_gets_a_point_at_most_once_per_period(engine, fake_fh, started):
    quote_arrives(engine, "AAPL", 100.0)
    started(point_seconds=60.0)
    assert fake_fh.stream.wait_for(lambda: "AAPL" in fake_fh.stream.subscribed(), WAIT)
    before = history_points(engine, "AAPL")
    for step in range(20):
        fake_fh.stream.trade("AAPL", 100.0 + step / 10)
        time.sleep(0.02)
    eventually(lambda: price_of(engine, "AAPL") == pytest.approx(101.9))
    assert history_points(engine, "AAPL") == before + 1


def test_the_subscriptions_follow_the_tracked_set(engine, fake_fh, started):
    stream = started(symbols=["AAPL", "MSFT"])
    assert fake_fh.stream.wait_for(lambda: fake_fh.stream.subscribed() == {"AAPL", "MSFT"}, WAIT)
    stream.follow(["MSFT", "NVDA", "TSCO.LON"])
    assert fake_fh.stream.wait_for(lambda: fake_fh.stream.subscribed() == {"MSFT", "NVDA"}, WAIT)


def test_a_streamed_price_fires_an_alert_once_per_crossing(engine, user_id, fake_fh, started):
    quote_arrives(engine, "AAPL", 100.0)
    create_rule(engine, user_id, "AAPL", "above", 105.0)
    started()
    assert fake_fh.stream.wait_for(lambda: "AAPL" in fake_fh.stream.subscribed(), WAIT)
    for price in (104.0, 105.5, 106.0):
        fake_fh.stream.trade("AAPL", price)
        eventually(lambda p=price: price_of(engine, "AAPL") == p)
    with Session(engine) as session:
        fired = list(session.exec(select(AlertEvent)).scalars())
    assert [(e.symbol, e.price) for e in fired] == [("AAPL", 105.5)]


def test_a_dropped_connection_reconnects_and_subscribes_again(engine, fake_fh, started):
    quote_arrives(engine, "AAPL", 100.0)
    started()
    stream = fake_fh.stream
    assert stream.wait_for(lambda: stream.subscribed() == {"AAPL", "MSFT"}, WAIT)
    stream.drop()
    assert stream.wait_for(lambda: stream.connects == 2 and len(stream.subscribed()) == 2, WAIT)
    stream.trade("AAPL", 98.0)
    eventually(lambda: price_of(engine, "AAPL") == 98.0)


def test_a_silent_connection_is_given_up(engine, fake_fh, started, monkeypatch):
    monkeypatch.setattr(stream_module, "SILENCE_SECONDS", 0.5)
    started()
    assert fake_fh.stream.wait_for(lambda: fake_fh.stream.connects >= 2, WAIT)


def test_pings_keep_a_quiet_connection(engine, fake_fh, started, monkeypatch):
    monkeypatch.setattr(stream_module, "SILENCE_SECONDS", 3.0)
    started()
    assert fake_fh.stream.wait_for(lambda: fake_fh.stream.connects == 1, WAIT)
    for _ in range(20):  # 5 s of pings, a quarter second apart: longer than the silence allowed
        fake_fh.stream.ping()
        time.sleep(0.25)
    assert fake_fh.stream.connects == 1


def test_a_refused_key_is_told_without_the_key(engine, fake_fh, started, caplog):
    caplog.set_level(logging.DEBUG)
    fake_fh.stream.api_key = "another-key"
    stream = started()
    assert fake_fh.stream.wait_for(lambda: fake_fh.stream.refused >= 1, WAIT)
    eventually(lambda: state(engine, STREAM_ERROR))
    assert "HTTP 401" in state(engine, STREAM_ERROR)
    assert state(engine, STREAM_STATE) == StreamState.RECONNECTING
    assert fake_fh.api_key not in caplog.text
    assert fake_fh.api_key not in state(engine, STREAM_ERROR)
    assert stream.running


def test_a_lost_lease_closes_the_stream_and_writes_nothing(engine, fake_fh):
    quote_arrives(engine, "AAPL", 100.0)
    leading = [True]

    def fence(conn) -> int:
        if not leading[0]:
            raise LeadershipLost("another scheduler leads")
        return 1

    stream = TradeStream(engine, fake_fh.stream.url, fake_fh.api_key, fence, point_seconds=60)
    stream.follow(["AAPL"])
    stream.start()
    try:
        assert fake_fh.stream.wait_for(lambda: "AAPL" in fake_fh.stream.subscribed(), WAIT)
        leading[0] = False
        fake_fh.stream.trade("AAPL", 120.0)
        eventually(lambda: not stream.running)
        assert fake_fh.stream.wait_for(lambda: fake_fh.stream.connections() == 0, WAIT)
        assert price_of(engine, "AAPL") == 100.0
    finally:
        stream.stop()


def test_the_state_is_published_for_the_status_page(engine, fake_fh, started, monkeypatch):
    monkeypatch.setattr(stream_module, "STATE_EVERY_SECONDS", 0.2)
    started()
    eventually(lambda: state(engine, STREAM_STATE) == StreamState.CONNECTED)
    eventually(lambda: state(engine, STREAM_SYMBOLS) == "2")


def test_a_poll_older_than_a_streamed_trade_keeps_the_trades_price(engine, fake_fh, started):
    from stockmon.providers.finnhub import FinnhubProvider
    from stockmon.scheduler.ingest import Refresher

    fake_fh.prices["AAPL"] = 100.0
    fake_fh.market_time = time.time() - 60  # /quote's last trade: a minute ago
    poll = Refresher(engine, FinnhubProvider(fake_fh.api_key, fake_fh.url), None, ["AAPL"])
    poll.run_cycle()
    started(symbols=["AAPL"])
    assert fake_fh.stream.wait_for(lambda: "AAPL" in fake_fh.stream.subscribed(), WAIT)
    fake_fh.stream.trade("AAPL", 101.0)
    eventually(lambda: price_of(engine, "AAPL") == 101.0)
    fake_fh.prices["AAPL"] = 99.0
    poll.run_cycle()  # older than the trade: its day's figures, not its price
    with Session(engine) as session:
        quote = session.get(Quote, "AAPL")
    assert quote.price == 101.0 and quote.previous_close == pytest.approx(99.0 / 1.0046)
    fake_fh.market_time = time.time() + 1  # a later trade than the streamed one
    poll.run_cycle()
    assert price_of(engine, "AAPL") == 99.0
