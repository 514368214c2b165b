"""The budget counts what goes on the wire, retries included, and a failing symbol gets no
more than its share of it."""

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from stockmon.domain.config import load_settings
from stockmon.domain.models import ApiRequest, FetchStatus
from stockmon.providers import ProviderError, RateLimited, make_provider
from stockmon.providers.alphavantage import AlphaVantageProvider
from stockmon.scheduler.budget import Limits
from tests.conftest import av_refresher, run_a_greedy_day, to_next_cycle

FREE = Limits(per_minute=5, per_day=25)
SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "BROKEN"]
TRACKED = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "NFLX", "IBM", "ORCL"]


def recorded(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ApiRequest)).scalar_one()


def test_retries_are_counted_and_never_break_the_limits(engine, fake_av, clock):
    fake_av.now = lambda: clock().timestamp()
    fake_av.script["BROKEN"] = "http500"  # every answer for it fails, and each is retried
    worker = av_refresher(engine, fake_av, clock, SYMBOLS, FREE)
    run_a_greedy_day(worker, clock)  # as greedy as the limits allow
    assert len(fake_av.received) == recorded(engine) == 25
    assert fake_av.over_limits(FREE.per_minute, FREE.per_day) == 0


def test_a_failing_symbol_takes_no_more_than_its_share(engine, fake_av, clock):
    fake_av.now = lambda: clock().timestamp()
    fake_av.script["BROKEN"] = "http500"
    clock.current = datetime(2026, 2, 27, 22, tzinfo=UTC)  # Friday night, then a trading week
    worker = av_refresher(engine, fake_av, clock, SYMBOLS, FREE)
    while clock() < datetime(2026, 3, 7, tzinfo=UTC):
        worker.run_cycle()
        to_next_cycle(clock, minutes=5)
    sent = Counter(r.symbol for r in fake_av.received)
    days = 5
    assert sent["BROKEN"] <= FREE.per_day * days / len(SYMBOLS)
    healthy = [s for s in SYMBOLS if s != "BROKEN"]
    assert min(sent[s] for s in healthy) >= FREE.per_day * days / len(SYMBOLS)
    assert fake_av.over_limits(FREE.per_minute, FREE.per_day) == 0


@pytest.mark.parametrize(("per_day", "sent"), [(25, 1), (0, 2)])
def test_under_a_daily_cap_a_failed_request_is_not_resent_at_once(
    fake_av, monkeypatch, per_day, sent
):
    """With a daily cap the pacer retries the symbol at its next slot; an immediate resend
    would spend a request the rolling window has often not freed yet. Without one, once."""
    for name in os.environ:
        if name.startswith(("STOCKMON_", "ALPHA_VANTAGE_")):
            monkeypatch.delenv(name)
    fake_av.script["IBM"] = "http500"
    settings = load_settings(
        _env_file=None,
        alpha_vantage_api_key=fake_av.api_key,
        alpha_vantage_base_url=fake_av.url,
        alpha_vantage_requests_per_day=per_day,
        alpha_vantage_min_request_interval=0,
    )
    provider = make_provider(settings)
    assert isinstance(provider.fetch(["IBM"])["IBM"], ProviderError)
    assert len(fake_av.received) == sent


@pytest.mark.parametrize("tracked", [4, 10])
def test_a_healthy_symbol_unlucky_four_times_running_is_retried_at_the_next_slots(
    engine, fake_av, clock, tracked
):
    """Under random losses a healthy symbol now and then fails several times running: it is
    retried at each next paced slot (it is the stalest), not a slot later, nor after a whole
    interval."""
    fake_av.now = lambda: clock().timestamp()
    clock.current = datetime(2026, 2, 27, 22, tzinfo=UTC)  # Friday night: the first fetches
    worker = av_refresher(engine, fake_av, clock, TRACKED[:tracked], FREE, retries=0)
    slot = timedelta(minutes=390 / FREE.per_day)  # the day's budget over one session
    cycle = timedelta(minutes=2)  # a fraction of the 15.6-minute slot

    def run_until(moment: datetime) -> None:
        while clock() < moment:
            worker.run_cycle()
            to_next_cycle(clock, minutes=2)

    run_until(datetime(2026, 3, 3, 14, 30, tzinfo=UTC))  # a Monday of even pacing
    unlucky_from = len(fake_av.received)
    fake_av.script["MSFT"] = ["http500"] * 4 + ["ok"]
    run_until(datetime(2026, 3, 3, 21, tzinfo=UTC))  # Tuesday's session
    asked = [r.at for r in fake_av.received[unlucky_from:] if r.symbol == "MSFT"][:5]
    assert len(asked) == 5  # four failures, then the good answer
    gaps = [later - earlier for earlier, later in pairwise(asked)]
    assert max(gaps) <= (slot + cycle).total_seconds()  # the next slot, on the next cycle
    with engine.connect() as conn:
        status = conn.execute(select(FetchStatus).where(FetchStatus.symbol == "MSFT")).one()
    assert status.consecutive_failures == 0 and status.last_error is None


def test_a_symbol_with_no_good_quote_yet_gets_one_quick_retry_then_backs_off(
    engine, fake_av, clock
):
    """A new pick's first fetch may meet a passing failure, so it is retried at the next slot;
    failing again, it is failing, not unlucky: quick retries are for symbols that have answered
    well, and would take the slots of those that do."""
    fake_av.now = lambda: clock().timestamp()
    fake_av.script["BROKEN"] = "http500"
    clock.current = datetime(2026, 2, 27, 22, tzinfo=UTC)  # Friday night: the first fetches
    tracked = ["AAPL", "MSFT", "NVDA", "BROKEN"]
    worker = av_refresher(engine, fake_av, clock, tracked, FREE, retries=0)
    monday = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    slot = timedelta(minutes=390 / FREE.per_day)
    interval = slot * len(tracked)
    worker.run_cycle()
    clock.current = monday
    while clock() < datetime(2026, 3, 2, 21, tzinfo=UTC):
        worker.run_cycle()
        clock.advance(minutes=1)
    asked = [r.at for r in fake_av.received if r.symbol == "BROKEN"]
    assert asked[0] < monday.timestamp() < asked[1]
    assert asked[1] <= (monday + slot + timedelta(minutes=1)).timestamp()  # Monday's first slot
    gaps = [later - earlier for earlier, later in pairwise(asked[1:])]
    assert gaps and min(gaps) >= interval.total_seconds()


@pytest.mark.parametrize(("behaviour", "seconds"), [("http429", 2), ("http429_bare", 60)])
def test_http_429_is_a_rate_limit_that_honours_retry_after(fake_av, behaviour, seconds):
    fake_av.script["IBM"] = behaviour
    provider = AlphaVantageProvider(fake_av.api_key, fake_av.url, min_request_interval=0)
    with pytest.raises(RateLimited) as raised:
        provider.fetch(["IBM"])
    assert raised.value.retry_after.total_seconds() == seconds
    assert len(fake_av.received) == 1  # not retried: the server asked us to wait
