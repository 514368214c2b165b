"""Price alert rules evaluated as quotes are stored, on SQLite and PostgreSQL."""

import math
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from stockmon.domain.alert_rules import AlertError, create_rule, delete_rule, set_paused
from stockmon.domain.data_class import DataClass
from stockmon.domain.models import AlertEvent, AlertRule, utcnow
from stockmon.providers import ProviderError, QuoteData
from stockmon.scheduler.ingest import Refresher
from tests.conftest import av_refresher


class ScriptedMarket:
    """Answers each symbol with the price (and day change %) the test sets, or an error."""

    name = "scripted"
    rate_limited = False
    batch_size = 100
    plan = "scripted market"
    data_class = DataClass.SIMULATED

    def __init__(self) -> None:
        self.prices: dict[str, float] = {}
        self.changes: dict[str, float] = {}
        self.failing: set[str] = set()

    def fetch(self, symbols):
        return {s: self._answer(s) for s in symbols}

    def _answer(self, symbol):
        if symbol in self.failing:
            return ProviderError("scripted failure")
        price = self.prices.get(symbol, 100.0)
        change = self.changes.get(symbol, 0.0)
        return QuoteData(
            symbol, price, price, price, price, price, 0.0, change, 1000, date(2026, 3, 2),
            DataClass.SIMULATED, None,
        )  # fmt: skip


@pytest.fixture
def market() -> ScriptedMarket:
    return ScriptedMarket()


@pytest.fixture
def cycle(engine, market, clock):
    clock.current = utcnow()  # rules are stamped with the wall clock when they are created
    refresher = Refresher(engine, market, None, ["AAPL", "MSFT"], now=clock)

    def run(**prices: float) -> int:
        """One cycle at these prices, a minute later; the events fired so far."""
        clock.advance(minutes=1)
        market.prices.update(prices)
        refresher.run_cycle()
        return len(events(engine))

    return run


def events(engine) -> list[AlertEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AlertEvent).order_by(AlertEvent.id)).scalars())


def rule(engine, rule_id) -> AlertRule:
    with Session(engine) as session:
        return session.get(AlertRule, rule_id)


def test_a_rule_fires_once_per_crossing_and_re_arms(engine, user_id, cycle, clock):
    cycle(AAPL=190.0)
    rule_id = create_rule(engine, user_id, "aapl", "above", 200, note="sell half")
    assert cycle(AAPL=199.0) == 0
    assert cycle(AAPL=201.0) == 1  # crossed
    assert cycle(AAPL=205.0) == 1  # still above: no second event
    assert cycle(AAPL=199.9) == 1  # back below, but within the 0.1 % margin: not re-armed
    assert cycle(AAPL=200.5) == 1  # so wobbling around 200 fires nothing
    assert rule(engine, rule_id).armed is False
    assert cycle(AAPL=199.0) == 1  # clearly below: re-armed
    assert rule(engine, rule_id).armed is True
    assert cycle(AAPL=202.0) == 2  # the second crossing fires again
    first = events(engine)[0]
    assert (first.symbol, first.kind, first.threshold, first.price) == ("AAPL", "above", 200, 201)
    assert first.note == "sell half" and first.seen is False and first.user_id == user_id
    assert first.quote_at == first.fired_at


@pytest.mark.parametrize(
    ("kind", "threshold", "quiet", "firing"),
    [
        ("above", 150.0, {"prices": 149.0}, {"prices": 150.0}),
        ("below", 90.0, {"prices": 91.0}, {"prices": 90.0}),
        ("up_pct", 2.0, {"changes": 1.9}, {"changes": 2.0}),
        ("down_pct", 3.0, {"changes": -2.9}, {"changes": -3.5}),
    ],
)
def test_each_rule_kind(engine, user_id, market, cycle, kind, threshold, quiet, firing):
    create_rule(engine, user_id, "MSFT", kind, threshold)
    for field, value in quiet.items():
        getattr(market, field)["MSFT"] = value
    assert cycle() == 0
    for field, value in firing.items():
        getattr(market, field)["MSFT"] = value
    assert cycle() == 1


def test_one_shot_rules_pause_and_paused_rules_stay_quiet(engine, user_id, cycle):
    one_shot = create_rule(engine, user_id, "AAPL", "below", 95, one_shot=True)
    paused = create_rule(engine, user_id, "AAPL", "below", 96)
    set_paused(engine, user_id, paused, True)
    assert cycle(AAPL=94.0) == 1
    assert rule(engine, one_shot).paused is True
    assert cycle(AAPL=99.0) == 1 and cycle(AAPL=94.0) == 1  # neither fires again
    set_paused(engine, user_id, paused, False)  # resumed: armed, fires on the next quote
    assert cycle(AAPL=94.0) == 2
    delete_rule(engine, user_id, paused)
    assert rule(engine, paused) is None
    assert events(engine)[-1].rule_id is None  # the event outlives its rule


def test_a_quote_older_than_the_rule_never_fires_it(engine, user_id, market, clock):
    clock.current = utcnow() - timedelta(seconds=30)  # fetched half a minute ago...
    market.prices["AAPL"] = 300.0
    create_rule(engine, user_id, "AAPL", "above", 200)  # ...stored after the rule was made
    Refresher(engine, market, None, ["AAPL"], now=clock).run_cycle()
    assert events(engine) == []
    clock.current = utcnow() + timedelta(seconds=1)  # the next quote is newer: it fires
    Refresher(engine, market, None, ["AAPL"], now=clock).run_cycle()
    assert len(events(engine)) == 1


def test_a_failed_quote_fires_and_re_arms_nothing(engine, user_id, market, cycle):
    create_rule(engine, user_id, "AAPL", "above", 200)
    assert cycle(AAPL=201.0) == 1
    market.failing.add("AAPL")
    market.prices["AAPL"] = 150.0  # would re-arm, if a failure were a quote
    cycle()
    market.failing.clear()
    assert cycle(AAPL=201.0) == 1  # never re-armed, so no second event


@pytest.mark.parametrize(
    ("kind", "threshold", "message"),
    [
        ("above", float("nan"), "positive, finite"),
        ("below", -5, "positive, finite"),
        ("above", "lots", "must be a number"),
        ("high_52w", 60, "52-week"),
        ("low_52w", -1, "52-week"),
        ("sideways", 1, "sideways"),
        ("earnings", 2.5, "whole number of days"),
        ("earnings", 91, "at most 90"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(engine, user_id, kind, threshold, message):
    with pytest.raises(AlertError, match=message):
        create_rule(engine, user_id, "AAPL", kind, threshold)


def test_hostile_symbols_and_long_notes_are_refused(engine, user_id):
    with pytest.raises(AlertError, match="not a ticker symbol"):
        create_rule(engine, user_id, "<img src=x>", "above", 1)
    with pytest.raises(AlertError, match="at most 200"):
        create_rule(engine, user_id, "AAPL", "above", 1, note="x" * 201)


def test_a_price_path_from_alpha_vantage_fires_exactly_the_crossings(
    engine, user_id, fake_av, clock
):
    """Real HTTP to the fake server; failed and garbled answers in between fire nothing."""
    clock.current = utcnow()
    refresher = av_refresher(engine, fake_av, clock, ["AAPL"])
    above = create_rule(engine, user_id, "AAPL", "above", 200)
    below = create_rule(engine, user_id, "AAPL", "below", 196)
    path = [
        ("ok", 195.0),  # below fires
        ("ok", 201.0),  # above fires; below re-arms
        ("ok", 203.0),
        ("http500", 150.0),  # a failed answer: nothing fires, nothing re-arms
        ("ok", 199.9),  # within the margin: above stays fired
        ("malformed", 190.0),
        ("ok", 201.0),
        ("ok", 198.0),  # above re-arms
        ("zero_price", 150.0),  # answered with a zero price
        ("ok", 204.0),  # above fires again
    ]
    for behaviour, price in path:
        clock.advance(minutes=31)  # past any failure back-off
        fake_av.script["AAPL"], fake_av.prices["AAPL"] = behaviour, price
        refresher.run_cycle(pace=False)
    fired = [(e.rule_id, e.price) for e in events(engine)]
    assert fired == [(below, 195.0), (above, 201.0), (above, 204.0)]
    assert len(fake_av.received) == len(path) + 1  # the 500 was retried once


def history_arrived(engine, symbol: str) -> None:
    """Mark ``symbol``'s daily history as fetched, as the scheduler's backfill does."""
    from stockmon.domain.models import FetchStatus

    with engine.begin() as conn:
        conn.execute(
            FetchStatus.__table__.insert(),
            {"symbol": symbol, "consecutive_failures": 0, "history_loaded_at": utcnow()},
        )


def test_52_week_rules_fire_near_the_high_and_low_of_the_daily_history(engine, user_id):
    from stockmon.domain.db import upsert
    from stockmon.domain.models import DailyBar
    from tests.conftest import quote_arrives

    today = utcnow().date()
    bars = [
        {"symbol": "AAPL", "day": today - timedelta(days=back), "open": 150.0, "high": high,
         "low": low, "close": 150.0, "volume": 1000}
        for back, high, low in ((400, 900.0, 1.0), (200, 200.0, 120.0), (30, 180.0, 100.0))
    ]  # fmt: skip
    with engine.begin() as conn:  # the bar older than a year counts for nothing
        upsert(conn, DailyBar.__table__, bars, keys=["symbol", "day"])
    create_rule(engine, user_id, "AAPL", "high_52w", 0)
    assert quote_arrives(engine, "AAPL", 950.0) == 0  # no history loaded: no 52-week range
    history_arrived(engine, "AAPL")  # a new 52-week high
    create_rule(engine, user_id, "AAPL", "low_52w", 5)  # within 5 % of the low: 105
    assert quote_arrives(engine, "AAPL", 199.0) == 0
    assert quote_arrives(engine, "AAPL", 200.5) == 1  # the high
    assert quote_arrives(engine, "AAPL", 201.0) == 0  # once per crossing
    assert quote_arrives(engine, "AAPL", 150.0) == 0  # back below the margin: re-armed
    assert quote_arrives(engine, "AAPL", 104.0) == 1  # near the low
    assert quote_arrives(engine, "AAPL", 210.0) == 1  # the high again
    assert quote_arrives(engine, "TSLA", 5000.0) == 0  # no rule, no history: nothing


def test_every_rule_kind_has_its_words_and_its_distance():
    from stockmon.domain.alert_kinds import KIND_CHOICES, RuleKind, describe, distance

    assert set(KIND_CHOICES) == {kind.value for kind in RuleKind}
    for kind in RuleKind:
        assert describe(kind, 5) != f"{kind} 5"
        assert math.isfinite(
            distance(kind, 5, 150.0, 1.0, year_low=100.0, year_high=200.0, earnings_in=9)
        )
    assert describe("above", 1234.5) == "price above 1,234.50"
    # a 52-week rule's threshold may be 0 (a new high): only its own formula is worked out
    assert distance("high_52w", 0, 150.0, 1.0, year_low=100.0, year_high=200.0) == 25.0


def test_52_week_rules_show_their_distance(engine, user_id):
    from stockmon.domain import alert_inbox
    from stockmon.domain.db import upsert
    from stockmon.domain.models import DailyBar
    from tests.conftest import quote_arrives

    today = utcnow().date()
    bar = {"symbol": "AAPL", "day": today - timedelta(days=30), "open": 150.0, "high": 200.0,
           "low": 100.0, "close": 150.0, "volume": 1000}  # fmt: skip
    with engine.begin() as conn:
        upsert(conn, DailyBar.__table__, [bar], keys=["symbol", "day"])
    history_arrived(engine, "AAPL")
    create_rule(engine, user_id, "AAPL", "high_52w", 5)  # fires at 190
    create_rule(engine, user_id, "AAPL", "low_52w", 10)  # fires at 110
    create_rule(engine, user_id, "MSFT", "high_52w", 5)  # no history: no range to measure
    quote_arrives(engine, "AAPL", 180.0)
    rules = alert_inbox.rules_overview(engine, user_id).set_index(["symbol", "condition"])
    distances = rules["distance"]
    assert distances["AAPL", "within 5 % of the 52-week high"] == pytest.approx(5.0)  # 10 % off
    assert distances["AAPL", "within 10 % of the 52-week low"] == pytest.approx(70.0)  # 80 % up
    assert math.isnan(distances["MSFT", "within 5 % of the 52-week high"])


def dated(engine, symbol: str, days: int | None, now) -> None:
    """The calendar says ``symbol`` reports ``days`` from ``now`` (None: no report)."""
    from stockmon.domain.earnings import EarningsDate
    from stockmon.scheduler import earnings_calendar

    reports = [] if days is None else [EarningsDate(symbol, now.date() + timedelta(days=days))]
    earnings_calendar.record(engine, [symbol], reports, now)


def test_an_earnings_rule_fires_once_per_report_and_re_arms_after_it(engine, user_id, cycle, clock):
    from stockmon.domain import alert_inbox

    cycle(AAPL=190.0)
    rule_id = create_rule(engine, user_id, "AAPL", "earnings", 3)
    assert cycle() == 0  # no report known
    dated(engine, "AAPL", 5, clock())
    assert cycle() == 0
    (distance,) = alert_inbox.rules_overview(engine, user_id)["distance"]
    assert distance == 2  # days
    dated(engine, "AAPL", 3, clock())
    assert cycle() == 1
    assert cycle() == 1  # the same report fires once
    (event,) = events(engine)
    assert (event.kind, event.price) == ("earnings", 190.0)
    dated(engine, "AAPL", -1, clock())  # reported: the rule re-arms
    assert cycle() == 1 and rule(engine, rule_id).armed is True
    dated(engine, "AAPL", 91, clock())  # next quarter's
    assert cycle() == 1
    dated(engine, "AAPL", 0, clock())  # the day itself
    assert cycle() == 2
    assert alert_inbox.rules_overview(engine, user_id)["condition"].tolist() == [
        "earnings within 3 days"
    ]
