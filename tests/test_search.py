"""Symbol search on both databases: through the fake Alpha Vantage server (counted in the
budget, every refusal answered with a reason), on the demo market, and in a real scheduler."""

import time

import pytest
from sqlalchemy import select

from stockmon.domain.models import Symbol, utcnow
from stockmon.domain.search import (
    MAX_MATCHES,
    SearchError,
    clean_keywords,
    find_listings,
    request_search,
    search_state,
)
from stockmon.domain.watchlists import save_picks
from stockmon.providers import DemoProvider
from stockmon.providers.answers import parse_symbol_search
from stockmon.scheduler.budget import Limits
from stockmon.scheduler.discovery import answer_searches
from stockmon.scheduler.ingest import Refresher
from tests.conftest import SLOW_ANSWER, av_provider, requests_counted
from tests.fake_alphavantage import PREMIUM
from tests.running import scheduler_process


def test_a_search_adds_what_it_finds_to_the_catalog_for_everyone(engine, fake_av, clock):
    asked = request_search(engine, "  asml ", clock())
    assert asked.keywords == "asml" and not asked.answered
    assert answer_searches(engine, av_provider(engine, fake_av, clock)[0], clock) == 1

    answered = search_state(engine, asked.id)
    assert answered.answered and answered.error is None and answered.found == 2
    assert [r.function for r in fake_av.received] == ["SYMBOL_SEARCH"]
    assert fake_av.requests[0]["keywords"] == "asml"
    assert requests_counted(engine) == len(fake_av.received) == 1  # spent like any request
    found = find_listings(engine, "ASML")
    assert found["symbol"].tolist()[:2] == ["ASML", "ASML.AMS"]  # the exact symbol first
    with engine.connect() as conn:
        amsterdam = conn.execute(select(Symbol).where(Symbol.symbol == "ASML.AMS")).one()
    assert (amsterdam.currency, amsterdam.region, amsterdam.market_open) == (
        "EUR",
        "Amsterdam",
        "09:00",
    )
    assert answer_searches(engine, av_provider(engine, fake_av, clock)[0], clock) == 0  # none left


def test_the_same_words_again_cost_no_request(engine, fake_av, clock):
    first = request_search(engine, "Tesco", clock())
    assert request_search(engine, "TESCO", clock()).id == first.id  # still waiting: the same
    answer_searches(engine, av_provider(engine, fake_av, clock)[0], clock)
    clock.advance(days=3)
    assert request_search(engine, "tesco", clock()).id == first.id  # answered this week
    clock.advance(days=5)
    assert request_search(engine, "tesco", clock()).id != first.id  # a week on: asked again
    assert len(fake_av.received) == 1


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("note", "refuses requests for now"),
        ("information_key", "refuses requests for now"),
        ("burst", "asked to slow down for a moment"),
        ("badkey", "refuses requests for now"),
        ("http500", "The search failed: HTTP 500"),
        ("http429", "refuses requests for now"),
        ("html", "The search failed: answer is not JSON"),
        ("not_json", "The search failed"),
        ("json_list", "The search failed"),
        ("error", "The search failed"),
        ("empty", "The search failed"),
        ("slow", "The search failed: no answer within"),
    ],
)
def test_every_refusal_is_answered_with_a_reason(engine, fake_av, clock, behaviour, reason):
    fake_av.script["shell"] = behaviour
    fake_av.slow_seconds = SLOW_ANSWER
    asked = request_search(engine, "shell", clock())
    answer_searches(engine, av_provider(engine, fake_av, clock)[0], clock)
    answered = search_state(engine, asked.id)
    assert answered.answered and answered.found == 0
    assert answered.error.startswith(("The quote provider", "The search failed"))
    assert reason in answered.error
    assert fake_av.api_key not in answered.error
    assert requests_counted(engine) == len(fake_av.received)  # retries counted too
    clock.advance(minutes=1)
    assert request_search(engine, "shell", clock()).id != asked.id  # a failure is not kept


def test_a_refusal_is_quoted_once_and_cut_at_a_word(engine, fake_av, clock):
    """It once read "The search failed: search failed … to instantly unlo"."""
    fake_av.script["shell"] = "premium"
    asked = request_search(engine, "shell", clock())
    answer_searches(engine, av_provider(engine, fake_av, clock)[0], clock)
    error = search_state(engine, asked.id).error
    assert error.lower().count("search failed") == 1
    assert error.endswith("…")  # the provider's 190 characters and their class are over 200
    last_word = error[:-1].split()[-1]
    assert last_word in {word.rstrip(",.;:!") for word in PREMIUM.split()}
    assert len(error) <= len("The search failed: ") + 200


def test_a_spent_budget_answers_without_a_request(engine, fake_av, clock):
    provider, _budget = av_provider(engine, fake_av, clock, Limits(per_minute=1, per_day=0))
    provider.fetch(["IBM"])  # the minute's one request
    asked = request_search(engine, "asml", clock())
    answer_searches(engine, provider, clock)
    assert search_state(engine, asked.id).error.startswith("No requests are left")
    assert len(fake_av.received) == 1


def test_the_demo_market_finds_listings_beyond_the_catalog_and_quotes_them(engine, user_id):
    now = utcnow
    for words in ("tesco", "RELIANCE.BSE", "shop.trt"):
        request_search(engine, words, now())
    answer_searches(engine, DemoProvider(seed=3), now)
    assert find_listings(engine, "TSCO")["symbol"].tolist()[0] == "TSCO.LON"
    save_picks(engine, user_id, ["TSCO.LON", "RELIANCE.BSE", "SHOP.TRT"])  # pickable now
    summary = Refresher(engine, DemoProvider(seed=3), None, []).run_cycle()
    assert summary.fetched == 3 and not summary.errors
    from stockmon.app.queries import latest_quotes

    quotes = latest_quotes(engine, ["TSCO.LON", "RELIANCE.BSE"]).set_index("symbol")
    assert quotes.at["TSCO.LON", "currency"] == "GBX"
    assert 300 < quotes.at["TSCO.LON", "price"] < 500  # near its listed reference price
    assert quotes.at["RELIANCE.BSE", "currency"] == "INR"


@pytest.mark.parametrize("words", ["", "   ", "x" * 41, "bad\x00word", "bell\x07"])
def test_unusable_words_are_refused(engine, words):
    with pytest.raises(SearchError):
        request_search(engine, words, utcnow())


def test_search_words_are_text_not_patterns(engine):
    assert clean_keywords(" a   b ") == "a b"
    assert find_listings(engine, "%").empty
    assert find_listings(engine, "_").empty
    assert find_listings(engine, "'; DROP TABLE symbols; --").empty
    assert not find_listings(engine, "apple").empty


def test_hostile_matches_are_left_out_and_redacted():
    listings = parse_symbol_search(
        {
            "bestMatches": [
                {"1. symbol": "<img src=x>", "2. name": "Evil"},
                {"1. symbol": "OK.LON", "2. name": "Fine\x07 plc", "8. currency": "GBX"},
                "not a match",
            ]
        }
    )
    assert [(x.symbol, x.name, x.currency) for x in listings] == [("OK.LON", "Fine plc", "GBX")]


def test_a_running_scheduler_answers_a_search_within_seconds(tmp_path, database_url, engine):
    with scheduler_process(tmp_path, database_url, refresh_seconds=3600) as log:
        asked = request_search(engine, "vanguard", utcnow())
        deadline = time.monotonic() + 60
        while not search_state(engine, asked.id).answered:
            assert time.monotonic() < deadline, "the search was never answered"
            time.sleep(0.2)
    assert search_state(engine, asked.id).found == 3
    assert set(find_listings(engine, "vanguard")["symbol"]) == {"VNQ", "VOO", "VT"}
    assert "search 'vanguard': 3 listings" in log.read_text()


@pytest.mark.parametrize("words", ["A", "ap", "AAPL", "inc", "corp", "MS", "bank"])
def test_the_catalog_and_the_demo_markets_search_rank_alike(engine, words):
    from stockmon.domain.catalog import Listing, match_listings

    with engine.connect() as conn:
        rows = conn.execute(select(Symbol.symbol, Symbol.name)).all()
    listings = [Listing(symbol, name or "", "", "", "", "", "", "") for symbol, name in rows]
    in_python = [listing.symbol for listing in match_listings(words, listings, MAX_MATCHES)]
    assert in_python, f"nothing matches {words!r}: pick other words"
    assert find_listings(engine, words)["symbol"].tolist() == in_python
