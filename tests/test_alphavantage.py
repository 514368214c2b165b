"""The Alpha Vantage client against a fake server speaking real HTTP."""

import logging
import socket
from datetime import UTC, date, datetime

import pytest

from stockmon.domain.config import Entitlement
from stockmon.domain.data_class import DataClass
from stockmon.domain.redaction import add_secret, redact
from stockmon.providers import (
    AlphaVantageProvider,
    BatchRefused,
    Paused,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    RateLimited,
    SymbolRejected,
)
from stockmon.providers.base import ListingFacts
from stockmon.providers.series import parse_facts
from tests.conftest import CLIENT_TIMEOUT, SLOW_ANSWER
from tests.fake_alphavantage import global_quote


def make(fake, **kwargs) -> AlphaVantageProvider:
    kwargs.setdefault("timeout", CLIENT_TIMEOUT)
    kwargs.setdefault("min_request_interval", 0)
    kwargs.setdefault("retry_wait", 0)
    return AlphaVantageProvider(fake.api_key, fake.url, **kwargs)


def test_parses_all_ten_fields(fake_av):
    fake_av.bodies["MSFT"] = {
        "Global Quote": {
            "01. symbol": "MSFT",
            "02. open": "112.6300",
            "03. high": "113.1700",
            "04. low": "110.6400",
            "05. price": "112.1300",
            "06. volume": "29062853",
            "07. latest trading day": "2018-10-05",
            "08. previous close": "112.7900",
            "09. change": "-0.6600",
            "10. change percent": "-0.5852%",
        }
    }
    result = make(fake_av).fetch(["MSFT"])["MSFT"]
    assert result == QuoteData(
        symbol="MSFT",
        price=112.13,
        open=112.63,
        high=113.17,
        low=110.64,
        previous_close=112.79,
        change=-0.66,
        change_percent=-0.5852,
        volume=29062853,
        latest_trading_day=date(2018, 10, 5),
        data_class=DataClass.END_OF_DAY,
        market_time=None,
    )
    assert fake_av.requests[-1]["function"] == "GLOBAL_QUOTE"


@pytest.mark.parametrize(
    ("behaviour", "error", "text"),
    [
        ("error", SymbolRejected, "Invalid API call"),
        ("empty", SymbolRejected, "unknown symbol"),
        ("http500", ProviderError, "HTTP 500"),
        ("slow", ProviderError, "no answer within"),
        ("malformed", ProviderError, "not JSON"),
        ("html", ProviderError, "text/html"),
        ("nonnumeric", ProviderError, "not a number"),
    ],
)
def test_failures_become_per_symbol_errors(fake_av, caplog, behaviour, error, text):
    caplog.set_level(logging.DEBUG)
    fake_av.script["IBM"] = behaviour
    fake_av.slow_seconds = SLOW_ANSWER
    result = make(fake_av).fetch(["IBM"])["IBM"]
    assert isinstance(result, error)
    assert text in str(result)
    assert fake_av.api_key not in str(result)
    assert fake_av.api_key not in caplog.text


def test_server_errors_are_retried_a_bounded_number_of_times(fake_av):
    fake_av.script["IBM"] = "http500"
    make(fake_av, retries=2).fetch(["IBM"])
    assert len(fake_av.requests) == 3


@pytest.mark.parametrize(("behaviour", "minimum"), [("note", 60), ("information", 3600)])
def test_rate_limit_answers_stop_the_provider(fake_av, behaviour, minimum):
    fake_av.script["IBM"] = behaviour
    with pytest.raises(RateLimited) as raised:
        make(fake_av).fetch(["IBM"])
    assert raised.value.retry_after.total_seconds() >= minimum


def test_a_rejected_key_stops_the_provider_and_stays_secret(fake_av, caplog):
    caplog.set_level(logging.DEBUG)
    provider = AlphaVantageProvider("wrong-key-123", fake_av.url, min_request_interval=0)
    with pytest.raises(ProviderUnavailable) as raised:
        provider.fetch(["IBM"])
    assert "API key was rejected" in str(raised.value)
    assert "wrong-key-123" not in caplog.text


def test_connection_errors_are_reported_without_the_key(caplog):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = AlphaVantageProvider(
        "KEY-IN-URL",
        f"http://127.0.0.1:{port}/query",
        timeout=0.5,
        retries=1,
        min_request_interval=0,
    )
    result = provider.fetch(["IBM"])["IBM"]
    assert isinstance(result, ProviderError)
    assert "connection failed" in str(result)
    assert "KEY-IN-URL" not in str(result)
    assert "KEY-IN-URL" not in caplog.text


def test_requests_are_spaced(fake_av):
    waits = []
    clock = iter([0.0, 0.2, 5.0])
    provider = make(
        fake_av, min_request_interval=1.0, sleep=waits.append, monotonic=lambda: next(clock)
    )
    for _ in range(3):
        provider.fetch(["IBM"])
    assert waits == [pytest.approx(0.8)]


def test_bulk_quotes_carry_many_symbols_and_report_the_missing(fake_av):
    fake_av.prices.update({"AAPL": 230.0, "MSFT": 418.16})
    fake_av.script["NOPE"] = "empty"
    results = make(fake_av, bulk=True).fetch(["AAPL", "MSFT", "NOPE"])
    assert len(fake_av.requests) == 1
    assert results["MSFT"].price == 418.16
    assert results["MSFT"].change_percent == 0.3456
    assert isinstance(results["NOPE"], SymbolRejected)


def test_bulk_on_a_free_plan_switches_itself_off_and_says_so(fake_av, caplog):
    fake_av.script["AAPL"] = "premium_sample"
    provider = make(fake_av, bulk=True)
    with pytest.raises(BatchRefused):  # the sample rows are never returned
        provider.fetch(["AAPL", "MSFT"])
    assert provider.batch_size == 1
    with pytest.raises(BatchRefused):  # a batch of the old size is refused, not half-answered
        provider.fetch(["AAPL", "MSFT"])
    assert "ALPHA_VANTAGE_BULK_QUOTES=false" in caplog.text
    fake_av.script.clear()
    assert isinstance(provider.fetch(["AAPL"])["AAPL"], QuoteData)
    assert fake_av.requests[-1]["function"] == "GLOBAL_QUOTE"


def test_redact_hides_key_and_query_value():
    add_secret("abc123")
    assert redact("GET /query?symbol=X&apikey=abc123 failed abc123") == (
        "GET /query?symbol=X&apikey=*** failed ***"
    )


@pytest.mark.parametrize(
    ("entitlement", "data_class"),
    [
        (Entitlement.NONE, DataClass.END_OF_DAY),
        (Entitlement.REALTIME, DataClass.REAL_TIME),
        (Entitlement.DELAYED, DataClass.DELAYED),
    ],
)
def test_every_quote_request_carries_the_entitlement_and_says_what_it_is(
    fake_av, entitlement, data_class
):
    provider = make(fake_av, entitlement=entitlement)
    quote = provider.fetch(["MSFT"])["MSFT"]
    assert isinstance(quote, QuoteData)
    assert quote.data_class is data_class and provider.data_class is data_class
    assert quote.market_time is None  # GLOBAL_QUOTE gives the trading day, no time
    bulk = make(fake_av, entitlement=entitlement, bulk=True)
    assert bulk.fetch(["AAPL", "IBM"])["IBM"].data_class is data_class
    quote_requests = [r for r in fake_av.received if r.function != "SYMBOL_SEARCH"]
    assert [r.function for r in quote_requests] == ["GLOBAL_QUOTE", "REALTIME_BULK_QUOTES"]
    assert {r.entitlement for r in quote_requests} == {entitlement.value}
    bulk.search("asml")
    assert "entitlement" not in fake_av.requests[-1]  # only quote requests carry it


def test_the_delayed_answer_is_parsed_under_its_decorated_key(fake_av):
    provider = make(fake_av, entitlement=Entitlement.DELAYED)
    quote = provider.fetch(["AAPL"])["AAPL"]
    assert fake_av.received[-1].entitlement == "delayed"
    assert isinstance(quote, QuoteData) and quote.price == 112.13
    assert quote.data_class is DataClass.DELAYED


@pytest.mark.parametrize(
    ("key", "entitlement", "data_class"),
    [
        ("Global Quote", Entitlement.REALTIME, DataClass.REAL_TIME),
        ("Global Quote - DATA DELAYED BY 15 MINUTES", Entitlement.DELAYED, DataClass.DELAYED),
        ("Global Quote - DATA DELAYED BY 15 MINUTES", Entitlement.REALTIME, DataClass.DELAYED),
        ("Global Quote - DATA DELAYED BY 15 MINUTES", Entitlement.NONE, DataClass.DELAYED),
        ("Global Quote - REALTIME", Entitlement.REALTIME, DataClass.REAL_TIME),
        ("Global Quote - anything new", Entitlement.NONE, DataClass.END_OF_DAY),
    ],
)
def test_any_decoration_of_the_quote_key_is_parsed_and_the_answer_wins(
    fake_av, key, entitlement, data_class
):
    fake_av.bodies["MSFT"] = {key: global_quote("MSFT", 250.0)["Global Quote"]}
    quote = make(fake_av, entitlement=entitlement).fetch(["MSFT"])["MSFT"]
    assert isinstance(quote, QuoteData) and quote.price == 250.0
    assert quote.data_class is data_class


def test_a_bulk_row_gives_its_market_time(fake_av):
    quote = make(fake_av, bulk=True, entitlement=Entitlement.REALTIME).fetch(["AAPL"])["AAPL"]
    # "2024-10-18 19:59:55.291" in New York, where it was summer time (UTC-4)
    assert quote.market_time == datetime(2024, 10, 18, 23, 59, 55, 291000, tzinfo=UTC)
    assert quote.data_class is DataClass.REAL_TIME
    assert quote.latest_trading_day == date(2024, 10, 18)


def test_the_plan_is_named_from_the_entitlement_and_the_daily_cap(fake_av):
    assert make(fake_av).plan == "free plan"
    assert make(fake_av, entitlement=Entitlement.DELAYED).plan == "premium plan"
    assert make(fake_av, daily_cap=False).plan == "premium plan"


def test_a_burst_answer_fails_its_request_and_pauses_the_next(fake_av):
    waits: list[float] = []
    clock = [100.0]
    provider = make(fake_av, sleep=waits.append, monotonic=lambda: clock[0])
    fake_av.script["AAPL"] = "burst"
    result = provider.fetch(["AAPL"])["AAPL"]
    assert isinstance(result, Paused) and "slow down" in str(result)
    assert waits == []
    assert isinstance(provider.fetch(["MSFT"])["MSFT"], QuoteData)  # the next symbol's turn
    assert waits == [pytest.approx(2.0)]  # after the pause


def test_the_overview_gives_the_range_and_the_company_facts(fake_av):
    fake_av.prices["IBM"] = 100.0
    facts = make(fake_av).facts("IBM")
    assert facts.year_range == (70.0, 140.0)
    assert (facts.sector, facts.market_cap, facts.pe_ratio) == ("TECHNOLOGY", 3435123456789, 34.5)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"PERatio": "12.5", "52WeekLow": "None", "Sector": "None"}, ListingFacts(pe_ratio=12.5)),
        (
            {"52WeekLow": "90", "52WeekHigh": "80", "Sector": "ENERGY"},
            ListingFacts(sector="ENERGY"),
        ),
        ({"MarketCapitalization": "-5", "PERatio": "inf", "Sector": "<b>x</b>" * 30}, None),
    ],
)
def test_a_garbled_overview_keeps_only_the_facts_that_make_sense(body, expected):
    if expected is None:
        facts = parse_facts("IBM", body)
        assert facts.market_cap is None and facts.pe_ratio is None and len(facts.sector) <= 64
    else:
        assert parse_facts("IBM", body) == expected


def test_an_overview_with_no_usable_fact_is_an_error():
    with pytest.raises(ProviderError, match="no usable fact"):
        parse_facts("IBM", {"Symbol": "IBM", "PERatio": "None", "52WeekHigh": "-"})
