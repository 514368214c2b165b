"""Refresh cycles against a fake Alpha Vantage and the demo market, on SQLite and PostgreSQL."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from stockmon.domain.config import Entitlement
from stockmon.domain.models import FetchStatus, PriceHistory, Quote, SchedulerState, User
from stockmon.domain.tracking import DEMO_SYMBOLS, tracked_symbols
from stockmon.domain.watchlists import save_picks
from stockmon.providers import DemoProvider
from stockmon.scheduler.budget import Limits
from stockmon.scheduler.ingest import Refresher
from tests.conftest import SLOW_ANSWER, add_user, av_refresher


def quotes(engine) -> dict[str, Quote]:
    with Session(engine) as session:
        return {q.symbol: q for q in session.exec(select(Quote)).scalars()}


def status(engine, symbol) -> FetchStatus:
    with Session(engine) as session:
        return session.get(FetchStatus, symbol)


def history_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(PriceHistory)).scalar_one()


def test_a_cycle_stores_quotes_history_and_status(engine, fake_av, clock):
    fake_av.prices.update({"AAPL": 230.5, "MSFT": 418.25})
    summary = av_refresher(engine, fake_av, clock, ["AAPL", "MSFT"]).run_cycle()
    assert (summary.fetched, summary.failed) == (2, 0)
    stored = quotes(engine)
    assert stored["AAPL"].price == 230.5
    assert stored["MSFT"].fetched_at == clock.current
    assert stored["MSFT"].change_percent == pytest.approx(-0.5852, abs=1e-3)
    assert history_count(engine) == 2
    assert status(engine, "AAPL").last_success_at == clock.current


@pytest.mark.parametrize(
    "behaviour", ["error", "empty", "http500", "slow", "malformed", "html", "nonnumeric"]
)
def test_a_bad_answer_keeps_the_last_good_quote(engine, fake_av, clock, caplog, behaviour):
    caplog.set_level(logging.DEBUG)
    fake_av.slow_seconds = SLOW_ANSWER
    refresher = av_refresher(engine, fake_av, clock, ["IBM", "MSFT"])
    fake_av.prices["IBM"] = 150.0
    refresher.run_cycle()
    good = quotes(engine)["IBM"]

    clock.advance(minutes=5)
    fake_av.script["IBM"] = behaviour
    fake_av.prices["MSFT"] = 420.0
    summary = refresher.run_cycle()

    assert summary.failed == 1 and summary.fetched == 1
    after = quotes(engine)
    assert after["IBM"] == good
    assert after["MSFT"].price == 420.0
    recorded = status(engine, "IBM")
    assert recorded.last_error and recorded.consecutive_failures == 1
    assert recorded.last_success_at == good.fetched_at
    assert fake_av.api_key not in caplog.text
    assert fake_av.api_key not in recorded.last_error


def test_a_rejected_symbol_is_not_retried_every_cycle(engine, fake_av, clock):
    fake_av.script["BOGUS"] = "error"
    refresher = av_refresher(engine, fake_av, clock, ["BOGUS", "MSFT"])
    refresher.run_cycle()
    asked = [r["symbol"] for r in fake_av.requests]
    clock.advance(minutes=1)
    summary = refresher.run_cycle(pace=False)
    assert summary.backing_off == 1
    assert [r["symbol"] for r in fake_av.requests[len(asked) :]] == ["MSFT"]
    clock.advance(minutes=16)
    refresher.run_cycle(pace=False)
    assert fake_av.requests[-2]["symbol"] == "BOGUS"
    assert status(engine, "BOGUS").consecutive_failures == 2


@pytest.mark.parametrize("behaviour", ["note", "information"])
def test_a_rate_limit_answer_stops_the_cycle_and_blocks(engine, fake_av, clock, caplog, behaviour):
    caplog.set_level(logging.DEBUG)
    fake_av.script["AAPL"] = behaviour
    refresher = av_refresher(engine, fake_av, clock, ["AAPL", "MSFT", "NVDA"])
    summary = refresher.run_cycle()
    assert len(fake_av.requests) == 1
    assert summary.skipped_for_budget == 3 and summary.blocked_until > clock.current
    assert quotes(engine) == {}

    clock.advance(seconds=30)
    assert refresher.run_cycle().budget_left == 0
    assert len(fake_av.requests) == 1
    with Session(engine) as session:
        assert session.get(SchedulerState, "alphavantage.blocked_until") is not None

    fake_av.script.clear()
    clock.advance(hours=2)
    assert refresher.run_cycle().fetched == 3
    assert "rate limit" in caplog.text and fake_av.api_key not in caplog.text


def test_stalest_symbols_go_first_when_the_budget_is_short(engine, fake_av, clock):
    refresher = av_refresher(engine, fake_av, clock, ["A", "B", "C"], Limits(2, 0))
    refresher.run_cycle(pace=False)
    assert [r["symbol"] for r in fake_av.requests] == ["A", "B"]
    clock.advance(minutes=2)
    refresher.run_cycle(pace=False)
    assert [r["symbol"] for r in fake_av.requests[2:]] == ["C", "A"]


def test_writes_are_idempotent(engine, clock):
    provider = DemoProvider(seed=1, now=clock)
    refresher = Refresher(engine, provider, None, ["AAPL"], now=clock)
    refresher.run_cycle()
    first = quotes(engine)["AAPL"]
    # the same observation stored twice leaves one row and one history point
    Refresher(engine, DemoProvider(seed=1, now=clock), None, ["AAPL"], now=clock).run_cycle()
    assert quotes(engine)["AAPL"] == first
    assert history_count(engine) == 1


def test_tracked_symbols_union_configuration_and_every_users_picks(engine, clock):
    assert tracked_symbols(engine, [], budgeted=False) == list(DEMO_SYMBOLS)
    assert tracked_symbols(engine, [], budgeted=True) == []
    with Session(engine) as session:
        for name in ("ann", "bob"):
            session.add(
                User(
                    username=name,
                    name=name,
                    email=f"{name}@example.com",
                    password_hash="x",
                    created_at=clock(),
                )
            )
        session.commit()
        ann, bob = (
            session.exec(select(User.id).where(User.username == n)).scalar_one()
            for n in ("ann", "bob")
        )
    for user_id, picks in ((ann, ["TSLA", "MSFT"]), (bob, ["MSFT", "GME"])):
        save_picks(engine, user_id, picks)
    for budgeted in (True, False):
        tracked = tracked_symbols(engine, ["MSFT", "AAPL"], budgeted)
        assert tracked == ["MSFT", "AAPL", "GME", "TSLA"]


def test_the_demo_market_fills_every_tracked_symbol_each_cycle(engine, clock):
    refresher = Refresher(engine, DemoProvider(seed=7, now=clock), None, [], now=clock)
    first = refresher.run_cycle()
    assert first.fetched == len(DEMO_SYMBOLS) and first.budget_left is None
    before = quotes(engine)
    clock.advance(seconds=60)
    refresher.run_cycle()
    after = quotes(engine)
    assert any(after[s].price != before[s].price for s in DEMO_SYMBOLS)
    assert history_count(engine) == 2 * len(DEMO_SYMBOLS)


def test_history_points_follow_fetch_times(engine, fake_av, clock):
    refresher = av_refresher(engine, fake_av, clock, ["MSFT"])
    for price in (100.0, 101.0, 99.5):
        fake_av.prices["MSFT"] = price
        refresher.run_cycle(pace=False)
        clock.advance(minutes=1)
    with engine.connect() as conn:
        points = conn.execute(
            select(PriceHistory.ts, PriceHistory.price).order_by(PriceHistory.ts)
        ).all()
    assert [p.price for p in points] == [100.0, 101.0, 99.5]
    assert points[-1].ts - points[0].ts == timedelta(minutes=2)


def test_a_fresh_database_with_a_key_and_no_picks_sends_nothing(engine, fake_av, clock, caplog):
    caplog.set_level(logging.INFO)
    refresher = av_refresher(engine, fake_av, clock, [])
    for _ in range(3):
        summary = refresher.run_cycle()
        clock.advance(minutes=1)
    assert fake_av.received == []
    assert summary.tracked == 0 and "nothing to track" in summary.log_line()
    assert caplog.text.count("nothing to track") == 1  # said once, not every cycle
    with Session(engine) as session:
        assert session.get(SchedulerState, "scheduler.tracked").value == "0"
    save_picks(engine, add_user(engine), ["NVDA"])
    assert refresher.run_cycle().fetched == 1
    assert [r.symbol for r in fake_av.received] == ["NVDA"]


def test_each_stored_quote_says_what_it_is(engine, fake_av, clock):
    av_refresher(engine, fake_av, clock, ["AAPL"], entitlement=Entitlement.DELAYED).run_cycle()
    Refresher(engine, DemoProvider(seed=3, now=clock), None, ["DEMO"], now=clock).run_cycle()
    stored = quotes(engine)
    assert stored["AAPL"].data_class == "15-min delayed" and stored["AAPL"].market_time is None
    assert stored["DEMO"].data_class == "simulated"
    assert stored["DEMO"].market_time == clock.current


def test_bulk_quotes_on_a_free_plan_fall_back_to_single_quotes_in_the_same_cycle(
    engine, fake_av, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    fake_av.default = "premium_sample"  # what a free key gets for REALTIME_BULK_QUOTES
    symbols = [f"S{n:03d}" for n in range(150)]
    refresher = av_refresher(engine, fake_av, clock, symbols, Limits(5, 0), bulk=True)
    summary = refresher.run_cycle(pace=False)
    assert [r.function for r in fake_av.received] == ["REALTIME_BULK_QUOTES"] + 4 * [
        "GLOBAL_QUOTE"
    ]  # the bulk request took one of the minute's five
    assert (summary.fetched, summary.failed) == (4, 0)  # single quotes are on every plan
    assert "Traceback" not in caplog.text and "ValueError" not in caplog.text
    fake_av.default = "ok"
    clock.advance(minutes=2)
    summary = refresher.run_cycle(pace=False)
    assert (summary.fetched, summary.failed) == (5, 0)
    assert {r.function for r in fake_av.received[5:]} == {"GLOBAL_QUOTE"}


def test_a_rejection_is_kept_with_its_reason_and_cleared_by_a_quote(engine, fake_av, clock):
    fake_av.script["NOPE"] = ["empty", "ok"]
    refresher = av_refresher(engine, fake_av, clock, ["NOPE"])
    refresher.run_cycle(pace=False)
    assert status(engine, "NOPE").rejection == "unknown symbol"
    clock.advance(hours=1)
    refresher.run_cycle(pace=False)
    assert status(engine, "NOPE").rejection is None
