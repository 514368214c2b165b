"""The offline demo market."""

import itertools
from datetime import timedelta

import pytest

from stockmon.domain.catalog import load_catalog
from stockmon.domain.models import Quote
from stockmon.providers import DemoProvider, QuoteData


def series(seed: int, clock, steps: int = 50) -> list[QuoteData]:
    provider = DemoProvider(seed=seed, now=clock)
    out = []
    for _ in range(steps):
        out.append(provider.fetch(["AAPL"])["AAPL"])
        clock.advance(seconds=30)
    return out


def test_same_seed_same_market(clock):
    start = clock.current
    first = series(42, clock)
    clock.current = start
    assert series(42, clock) == first
    clock.current = start
    assert series(43, clock) != first


def test_quotes_are_consistent_within_a_day(clock):
    quotes = series(1, clock, steps=200)
    for q in quotes:
        assert q.low <= q.price <= q.high
        assert q.low <= q.open <= q.high
        assert q.change == pytest.approx(q.price - q.previous_close, abs=1e-3)
        assert q.change_percent == pytest.approx(q.change / q.previous_close * 100, abs=1e-3)
    assert all(b.volume >= a.volume for a, b in itertools.pairwise(quotes))
    assert len({q.price for q in quotes}) > 150  # it moves between cycles
    assert len({q.open for q in quotes}) == 1


def test_prices_start_near_the_catalog_reference(clock):
    provider = DemoProvider(seed=3, now=clock)
    for entry in load_catalog()[:20]:
        quote = provider.fetch([entry.symbol])[entry.symbol]
        assert quote.price == pytest.approx(entry.reference_price, rel=0.15)


def test_a_new_day_starts_from_the_last_close(clock):
    provider = DemoProvider(seed=5, now=clock)
    late = provider.fetch(["MSFT"])["MSFT"]
    clock.advance(days=1)
    next_day = provider.fetch(["MSFT"])["MSFT"]
    assert next_day.previous_close == late.price
    assert next_day.latest_trading_day == late.latest_trading_day + timedelta(days=1)


def test_symbols_outside_the_catalog_get_a_stable_plausible_price(clock):
    a = DemoProvider(seed=1, now=clock).fetch(["ZZZZ"])["ZZZZ"]
    b = DemoProvider(seed=2, now=clock).fetch(["ZZZZ"])["ZZZZ"]
    assert 4 < a.price < 600 and 4 < b.price < 600


def test_a_restarted_market_continues_from_the_stored_quotes(clock):
    before = DemoProvider(seed=9, now=clock)
    last = before.fetch(["AAPL"])["AAPL"]
    stored = Quote(**vars(last), fetched_at=clock())
    clock.advance(seconds=30)
    restarted = DemoProvider(seed=10, now=clock)
    restarted.resume([stored])
    after = restarted.fetch(["AAPL"])["AAPL"]
    assert after.price == pytest.approx(last.price, rel=0.01)
    assert (after.open, after.previous_close) == (last.open, last.previous_close)
    assert after.volume >= last.volume
