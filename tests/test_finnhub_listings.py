"""Listings found through Finnhub on both databases: its search gives no currency for a foreign
listing, so the scheduler asks ``/stock/profile2`` once the listing is tracked, within the
budget, at most daily."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from stockmon.domain.models import Symbol
from stockmon.domain.search import request_search
from stockmon.providers.finnhub import FinnhubProvider
from stockmon.scheduler.budget import Limits, RequestBudget
from stockmon.scheduler.discovery import answer_searches, describe_listings
from tests.conftest import CLIENT_TIMEOUT, requests_counted
from tests.fake_finnhub import FakeFinnhub

FREE = Limits(per_minute=60, per_day=0, per_second=30)


def finnhub(engine, fake: FakeFinnhub, clock, limits: Limits = FREE) -> FinnhubProvider:
    budget = RequestBudget(engine, FinnhubProvider.name, limits, now=clock)
    return FinnhubProvider(
        fake.api_key, fake.url, gate=budget.take, timeout=CLIENT_TIMEOUT, retry_wait=0
    )


def listing(engine, symbol: str) -> Symbol:
    with engine.connect() as conn:
        return conn.execute(select(Symbol).where(Symbol.symbol == symbol)).one()


def test_a_found_listing_gets_its_currency_and_exchange_once_tracked(engine, fake_fh, clock):
    provider = finnhub(engine, fake_fh, clock)
    request_search(engine, "asml", clock())
    answer_searches(engine, provider, clock)
    assert (listing(engine, "ASML").currency, listing(engine, "ASML.AS").currency) == ("USD", "")

    assert describe_listings(engine, provider, ["AAPL", "ASML.AS"], clock) == "ASML.AS"
    amsterdam = listing(engine, "ASML.AS")
    assert (amsterdam.currency, amsterdam.exchange, amsterdam.region) == (
        "EUR",
        "EURONEXT AMSTERDAM",
        "NL",
    )
    assert [r.path for r in fake_fh.received] == ["/search", "/stock/profile2"]
    assert requests_counted(engine) == 2  # spent like any request

    assert describe_listings(engine, provider, ["AAPL", "ASML.AS", "ASML"], clock) == "ASML"
    assert describe_listings(engine, provider, ["AAPL", "ASML.AS", "ASML"], clock) is None
    assert len(fake_fh.received) == 3  # each listing asked once; the shipped AAPL never


def test_a_listing_without_a_profile_keeps_its_words_and_waits_a_day(engine, fake_fh, clock):
    provider = finnhub(engine, fake_fh, clock)
    request_search(engine, "asml", clock())
    answer_searches(engine, provider, clock)
    fake_fh.profiles["ASML.AS"] = {}
    assert describe_listings(engine, provider, ["ASML.AS"], clock) == "ASML.AS"
    kept = listing(engine, "ASML.AS")
    assert (kept.name, kept.currency, kept.exchange) == ("ASML HOLDING NV", "", "")
    assert describe_listings(engine, provider, ["ASML.AS"], clock) is None  # not again today
    clock.advance(days=1)
    del fake_fh.profiles["ASML.AS"]
    assert describe_listings(engine, provider, ["ASML.AS"], clock) == "ASML.AS"
    assert listing(engine, "ASML.AS").currency == "EUR"


@pytest.mark.parametrize("behaviour", ["forbidden", "http500", "html"])
def test_a_bad_profile_answer_is_asked_again_tomorrow(engine, fake_fh, clock, behaviour):
    provider = finnhub(engine, fake_fh, clock)
    request_search(engine, "asml", clock())
    answer_searches(engine, provider, clock)
    fake_fh.script["ASML.AS"] = behaviour
    assert describe_listings(engine, provider, ["ASML.AS"], clock) == "ASML.AS"
    assert listing(engine, "ASML.AS").exchange == ""
    assert listing(engine, "ASML.AS").profile_at == clock()


def test_a_spent_budget_asks_nothing_and_keeps_the_listing_waiting(engine, fake_fh, clock):
    provider = finnhub(engine, fake_fh, clock, Limits(per_minute=1, per_day=0, per_second=30))
    request_search(engine, "asml", clock())
    answer_searches(engine, provider, clock)  # the minute's one request
    assert describe_listings(engine, provider, ["ASML.AS"], clock) is None
    assert listing(engine, "ASML.AS").profile_at is None
    clock.advance(minutes=1)
    assert describe_listings(engine, provider, ["ASML.AS"], clock) == "ASML.AS"
    assert len(fake_fh.received) == 2
