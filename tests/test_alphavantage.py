"""The Alpha Vantage client against a fake server speaking real HTTP."""

import logging
import socket
from datetime import date

import pytest

from stockmon.data_class import DataClass
from stockmon.providers import (
    AlphaVantageProvider,
    BatchRefused,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    RateLimited,
    SymbolRejected,
)
from stockmon.redaction import add_secret, redact


def make(fake, **kwargs) -> AlphaVantageProvider:
    kwargs.setdefault("timeout", 0.5)
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
    fake_av.slow_seconds = 1.5
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
