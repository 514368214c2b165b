"""The budget counts what goes on the wire, retries included, and a failing symbol gets no
more than its share of it."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from stockmon.budget import Limits
from stockmon.models import ApiRequest
from stockmon.providers import RateLimited
from stockmon.providers.alphavantage import AlphaVantageProvider
from tests.conftest import av_refresher

FREE = Limits(per_minute=5, per_day=25)
SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "BROKEN"]


def recorded(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ApiRequest)).scalar_one()


def test_retries_are_counted_and_never_break_the_limits(engine, fake_av, clock):
    fake_av.now = lambda: clock().timestamp()
    fake_av.script["BROKEN"] = "http500"  # every answer for it fails, and each is retried
    worker = av_refresher(engine, fake_av, clock, SYMBOLS, FREE)
    for _ in range(24 * 60):
        worker.run_cycle(pace=False)  # as greedy as the limits allow
        clock.advance(minutes=1)
    assert len(fake_av.received) == recorded(engine) == 25
    assert fake_av.over_limits(FREE.per_minute, FREE.per_day) == 0


def test_a_failing_symbol_takes_no_more_than_its_share(engine, fake_av, clock):
    fake_av.now = lambda: clock().timestamp()
    fake_av.script["BROKEN"] = "http500"
    clock.current = datetime(2026, 2, 27, 22, tzinfo=UTC)  # Friday night, then a trading week
    worker = av_refresher(engine, fake_av, clock, SYMBOLS, FREE)
    while clock() < datetime(2026, 3, 7, tzinfo=UTC):
        worker.run_cycle()
        clock.advance(minutes=5)
    sent = Counter(r.symbol for r in fake_av.received)
    days = 5
    assert sent["BROKEN"] <= FREE.per_day * days / len(SYMBOLS)
    healthy = [s for s in SYMBOLS if s != "BROKEN"]
    assert min(sent[s] for s in healthy) >= FREE.per_day * days / len(SYMBOLS)
    assert fake_av.over_limits(FREE.per_minute, FREE.per_day) == 0


@pytest.mark.parametrize(("behaviour", "seconds"), [("http429", 2), ("http429_bare", 60)])
def test_http_429_is_a_rate_limit_that_honours_retry_after(fake_av, behaviour, seconds):
    fake_av.script["IBM"] = behaviour
    provider = AlphaVantageProvider(fake_av.api_key, fake_av.url, min_request_interval=0)
    with pytest.raises(RateLimited) as raised:
        provider.fetch(["IBM"])
    assert raised.value.retry_after.total_seconds() == seconds
    assert len(fake_av.received) == 1  # not retried: the server asked us to wait
