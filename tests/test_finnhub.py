"""The Finnhub client against a fake Finnhub speaking real HTTP: every answer has one class."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from stockmon.domain.data_class import DataClass
from stockmon.domain.redaction import redact
from stockmon.providers import (
    BatchRefused,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    RateLimited,
    SymbolRejected,
)
from stockmon.providers.base import BudgetExhausted
from stockmon.providers.finnhub import FinnhubProvider
from tests.conftest import CLIENT_TIMEOUT, SLOW_ANSWER
from tests.fake_finnhub import FakeFinnhub


def make(fake: FakeFinnhub, **kwargs) -> FinnhubProvider:
    kwargs.setdefault("timeout", CLIENT_TIMEOUT)
    kwargs.setdefault("retry_wait", 0)
    return FinnhubProvider(fake.api_key, fake.url, **kwargs)


def test_a_quote_is_real_time_with_its_market_time(fake_fh):
    fake_fh.now = lambda: 1_764_700_000.0  # 2025-12-02 18:26:40 UTC, a Tuesday afternoon
    fake_fh.prices["AAPL"] = 261.74
    quote = make(fake_fh).fetch(["AAPL"])["AAPL"]
    assert isinstance(quote, QuoteData)
    assert quote.price == 261.74
    assert quote.previous_close == pytest.approx(261.74 / 1.0046, abs=1e-4)
    assert quote.change == pytest.approx(261.74 - quote.previous_close, abs=1e-3)
    assert quote.open and quote.high and quote.low
    assert quote.volume is None
    assert quote.data_class is DataClass.REAL_TIME
    assert quote.market_time == datetime(2025, 12, 2, 18, 26, 40, tzinfo=UTC)
    assert quote.latest_trading_day.isoformat() == "2025-12-02"


def test_the_key_goes_in_the_header_never_in_the_url(fake_fh):
    make(fake_fh).fetch(["AAPL"])
    received = fake_fh.received[-1]
    assert received.header_token == fake_fh.api_key
    assert received.query_token == ""
    assert fake_fh.api_key not in received.query
    assert redact(f"key {fake_fh.api_key}") == "key ***"


@pytest.mark.parametrize(
    ("behaviour", "error", "text"),
    [
        ("unknown", SymbolRejected, "unknown symbol"),
        ("forbidden", SymbolRejected, "not on this plan"),
        ("http500", ProviderError, "HTTP 500"),
        ("http502", ProviderError, "HTTP 502"),
        ("http503", ProviderError, "HTTP 503"),
        ("reset", ProviderError, "connection failed"),
        ("slow", ProviderError, "no answer within"),
        ("html", ProviderError, "text/html"),
        ("malformed", ProviderError, "not JSON"),
        ("not_json", ProviderError, "not JSON"),
        ("json_list", ProviderError, "not an object"),
        ("missing_field", ProviderError, "missing c"),
        ("nonnumeric", ProviderError, "not a number"),
        ("zero_price", ProviderError, "no usable price"),
        ("negative_price", ProviderError, "no usable price"),
        ("null_price", ProviderError, "no usable price"),
    ],
)
def test_each_bad_answer_is_one_symbols_error(fake_fh, behaviour, error, text):
    fake_fh.script["IBM"] = behaviour
    fake_fh.slow_seconds = SLOW_ANSWER
    result = make(fake_fh).fetch(["IBM"])["IBM"]
    assert type(result) is error
    reason = result.reason if isinstance(result, SymbolRejected) else str(result)
    assert text in (reason if isinstance(result, SymbolRejected) else str(result))


def test_a_listing_outside_the_plan_waits_a_day(fake_fh):
    fake_fh.script["SHOP.TO"] = "forbidden"
    result = make(fake_fh).fetch(["SHOP.TO"])["SHOP.TO"]
    assert isinstance(result, SymbolRejected)
    assert result.backoff == timedelta(hours=24)
    assert "access" in str(result)


@pytest.mark.parametrize("behaviour", ["badkey", "nokey"])
def test_a_refused_key_stops_the_provider(fake_fh, behaviour):
    fake_fh.default = behaviour
    with pytest.raises(ProviderUnavailable, match="refused the API key") as refusal:
        make(fake_fh).fetch(["AAPL"])
    assert not isinstance(refusal.value, RateLimited)
    assert refusal.value.retry_after == timedelta(minutes=10)


def test_a_429_is_a_rate_limit_never_a_symbol_error(fake_fh):
    fake_fh.default = "http429"
    with pytest.raises(RateLimited) as limit:
        make(fake_fh).fetch(["AAPL"])
    assert limit.value.retry_after == timedelta(minutes=1)  # no header named a wait


def test_a_429_with_rate_headers_waits_until_their_reset(fake_fh):
    fake_fh.default = "http429_headers"
    slept: list[float] = []
    provider = make(fake_fh, sleep=slept.append)
    with pytest.raises(RateLimited) as limit:
        provider.fetch(["AAPL"])
    assert timedelta(seconds=1) <= limit.value.retry_after <= timedelta(seconds=3)
    fake_fh.default = "ok"
    provider.fetch(["AAPL"])
    assert slept and slept[-1] >= 0.9  # the next request waited out the reset


def test_a_server_error_is_retried_once_and_each_try_is_gated(fake_fh):
    fake_fh.script["AAPL"] = ["http502", "ok"]
    gated = []
    quote = make(fake_fh, gate=lambda: gated.append(1)).fetch(["AAPL"])["AAPL"]
    assert isinstance(quote, QuoteData)
    assert len(gated) == len(fake_fh.received) == 2


def test_a_gate_that_says_no_stops_the_request(fake_fh):
    def no_budget() -> None:
        raise BudgetExhausted("none left")

    with pytest.raises(BudgetExhausted):
        make(fake_fh, gate=no_budget).fetch(["AAPL"])
    assert fake_fh.received == []


def test_one_symbol_a_request(fake_fh):
    with pytest.raises(BatchRefused):
        make(fake_fh).fetch(["AAPL", "MSFT"])


def test_search_finds_listings_with_us_ones_in_dollars(fake_fh):
    listings = make(fake_fh).search("apple")
    assert [x.symbol for x in listings] == ["AAPL", "AAPL.MX"]
    assert listings[0].name == "APPLE INC"
    assert (listings[0].currency, listings[0].region) == ("USD", "United States")
    assert listings[1].currency == ""
    assert fake_fh.received[-1].path == "/search"


def test_a_profile_names_the_listings_currency_and_exchange(fake_fh):
    profile = make(fake_fh).profile("ASML.AS")
    assert (profile.currency, profile.region, profile.exchange) == (
        "EUR",
        "NL",
        "EURONEXT AMSTERDAM",
    )
    assert profile.name == "Asml.As Inc"
    received = fake_fh.received[-1]
    assert (received.path, received.symbol, received.query_token) == (
        "/stock/profile2",
        "ASML.AS",
        "",
    )
    long_exchange = make(fake_fh).profile("AAPL.MX").exchange
    assert long_exchange == "BOLSA MEXICANA DE VALORES…"  # cut at a word to what the catalog holds


@pytest.mark.parametrize(
    "body",
    [
        {},  # Finnhub's answer for a listing it has no profile of
        {"name": "Acme", "currency": None},
        {"name": "Acme", "currency": "<b>$$</b>"},
        {"name": "", "currency": "USD"},
    ],
)
def test_a_profile_without_a_name_or_currency_is_rejected(fake_fh, body):
    fake_fh.profiles["ACME"] = body
    with pytest.raises(SymbolRejected, match="no profile"):
        make(fake_fh).profile("ACME")


def test_odd_profile_fields_become_text_never_a_crash(fake_fh):
    fake_fh.profiles["ACME"] = {"name": ["not", "text"], "currency": "USD", "exchange": 7}
    profile = make(fake_fh).profile("ACME")
    assert (profile.name, profile.exchange) == ("['not', 'text']", "7")


def test_hostile_profile_text_is_redacted_and_short(fake_fh):
    fake_fh.profiles["ACME"] = {
        "name": f"Acme {fake_fh.api_key} " + "x" * 500,
        "currency": "usd",
        "exchange": "<script>alert(1)</script>" * 4,
    }
    profile = make(fake_fh).profile("ACME")
    assert fake_fh.api_key not in profile.name and len(profile.name) <= 200
    assert profile.currency == "USD" and len(profile.exchange) <= 32


def test_year_range_and_facts_from_metrics(fake_fh):
    fake_fh.prices["AAPL"] = 200.0
    facts = make(fake_fh).facts("AAPL")
    assert facts.year_range == (150.0, 260.0)
    assert facts.market_cap == pytest.approx(3_435_123.5e6)  # Finnhub gives millions
    assert facts.pe_ratio == 34.5 and facts.sector == ""


def test_hostile_error_text_is_redacted_and_short(fake_fh, caplog):
    caplog.set_level(logging.DEBUG)
    fake_fh.default = "badkey"
    with pytest.raises(ProviderUnavailable) as refusal:
        make(fake_fh).fetch(["AAPL"])
    assert fake_fh.api_key not in str(refusal.value)
    assert fake_fh.api_key not in caplog.text
    assert len(str(refusal.value)) < 300
