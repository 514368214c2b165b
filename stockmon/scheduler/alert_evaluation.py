"""Alert evaluation against newly stored quotes, inside the transaction that stores them.

A rule fires once per crossing: when its condition becomes true on a new quote while it is
armed (an earnings rule: when its symbol's next report is at most its threshold in days away).
It re-arms only when a later quote takes the condition back beyond a margin (0.1 % of a price
threshold, 0.05 percentage points of a change threshold), so a price wobbling around the
threshold does not fire again and again; an earnings rule re-arms once its report has passed.
A quote fetched before the rule was created never fires it, and only stored (good) quotes are
evaluated. One-shot rules pause themselves after firing. An event is stored exactly when its
quote is: never lost, never twice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import Connection, false, insert, literal, or_, select, update
from sqlalchemy.sql import ColumnElement

from stockmon.domain.alert_kinds import EARNINGS_KINDS, YEAR_KINDS, RuleKind, earnings_fires
from stockmon.domain.daily import range_before
from stockmon.domain.earnings import days_ahead
from stockmon.domain.models import AlertEvent, AlertRule, EarningsReport, Quote, table_of
from stockmon.scheduler.delivery import queue_deliveries

PRICE_MARGIN = 0.001  # of the threshold
PERCENT_MARGIN = 0.05  # percentage points


def _conditions(rule, quote, year) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(fires, re-arms) as SQL over a rule's columns, a new quote's and the symbol's 52-week
    range (``year``; None when no 52-week rule is active): the condition holds, or it is false
    by more than the re-arm margin."""
    price, change, threshold = quote.price, quote.change_percent, rule.threshold
    fires = [
        (rule.kind == RuleKind.ABOVE) & (price >= threshold),
        (rule.kind == RuleKind.BELOW) & (price <= threshold),
        (rule.kind == RuleKind.UP_PCT) & (change >= threshold),
        (rule.kind == RuleKind.DOWN_PCT) & (change <= -threshold),
    ]
    released = [
        (rule.kind == RuleKind.ABOVE) & (price < threshold * (1 - PRICE_MARGIN)),
        (rule.kind == RuleKind.BELOW) & (price > threshold * (1 + PRICE_MARGIN)),
        (rule.kind == RuleKind.UP_PCT) & (change < threshold - PERCENT_MARGIN),
        (rule.kind == RuleKind.DOWN_PCT) & (change > -threshold + PERCENT_MARGIN),
    ]
    if year is not None:
        near_high = year.c.year_high * (1 - threshold / 100)
        near_low = year.c.year_low * (1 + threshold / 100)
        fires += [
            (rule.kind == RuleKind.HIGH_52W) & (price >= near_high),
            (rule.kind == RuleKind.LOW_52W) & (price <= near_low),
        ]
        released += [
            (rule.kind == RuleKind.HIGH_52W) & (price < near_high * (1 - PRICE_MARGIN)),
            (rule.kind == RuleKind.LOW_52W) & (price > near_low * (1 + PRICE_MARGIN)),
        ]
    return rule.armed.is_(True) & or_(*fires), rule.armed.is_(False) & or_(*released)


def _year_ranges(symbols: Collection[str], today: date):
    """The 52-week high and low before ``today`` of the symbols that 52-week rules watch
    (none watched: nothing to aggregate), as a subquery to join."""
    rule = table_of(AlertRule).c
    watched = select(rule.symbol).where(rule.kind.in_(YEAR_KINDS), rule.symbol.in_(list(symbols)))
    return range_before(today, watched).subquery("year")


def evaluate(conn: Connection, symbols: Collection[str], now: datetime) -> int:
    """Fire and re-arm the active rules on the quotes of ``symbols`` just stored, inside the
    transaction that stored them; the number of events fired.

    One statement joins the stored quotes to the active rules and returns only the rules
    that change state, so its cost is that of the comparison itself; the events, their
    deliveries and the rules' new states are then written by id, whatever the number of rules.
    """
    if not symbols:
        return 0
    rule, quote = table_of(AlertRule).c, table_of(Quote).c
    # 52-week rules are few: only when one is active does the statement join the ranges,
    # so the common comparison costs what it did without them
    watching_years = conn.execute(
        select(rule.id).where(rule.kind.in_(YEAR_KINDS), rule.paused.is_(False)).limit(1)
    ).first()
    year = _year_ranges(symbols, now.date()) if watching_years else None
    fires, re_arms = _conditions(rule, quote, year)
    joined = select(rule.id, fires.label("fires")).join_from(
        AlertRule, Quote, quote.symbol == rule.symbol
    )
    if year is not None:
        joined = joined.outerjoin(year, year.c.symbol == rule.symbol)
    changing = conn.execute(
        joined.where(
            quote.symbol.in_(list(symbols)),
            rule.paused.is_(False),
            rule.created_at <= quote.fetched_at,  # a quote older than the rule never fires it
            fires | re_arms,
        )
    ).all()
    fired = [row.id for row in changing if row.fires]
    rearmed = [row.id for row in changing if not row.fires]
    earnings_fired, earnings_rearmed = _earnings_changes(conn, symbols, now)
    fired += earnings_fired
    rearmed += earnings_rearmed
    if rearmed:
        conn.execute(update(AlertRule).where(rule.id.in_(rearmed)).values(armed=True))
    if fired:
        _fire(conn, fired, now)
    return len(fired)


def _earnings_changes(
    conn: Connection, symbols: Collection[str], now: datetime
) -> tuple[list[int], list[int]]:
    """(fire, re-arm) among the active earnings rules on ``symbols``: days are counted in
    Python, the one rule of ``earnings.days_ahead``, not in each database's date arithmetic.
    Such rules are few (one per person and symbol at most makes sense); with none active the
    cycle pays one index seek."""
    rule, quote, report = table_of(AlertRule).c, table_of(Quote).c, table_of(EarningsReport).c
    watching = select(rule.id).where(rule.kind.in_(EARNINGS_KINDS), rule.paused.is_(False))
    if conn.execute(watching.limit(1)).first() is None:  # one seek, on the partial index
        return [], []
    rows = conn.execute(
        select(rule.id, rule.threshold, rule.armed, report.report_day)
        .join_from(AlertRule, Quote, quote.symbol == rule.symbol)
        .outerjoin(EarningsReport, report.symbol == rule.symbol)
        .where(
            rule.kind.in_(EARNINGS_KINDS),
            rule.symbol.in_(list(symbols)),
            rule.paused.is_(False),
            rule.created_at <= quote.fetched_at,
        )
    ).all()
    fire, re_arm = [], []
    for row in rows:
        holds = earnings_fires(row.threshold, days_ahead(row.report_day, now))
        if row.armed and holds:
            fire.append(row.id)
        elif not row.armed and not holds:
            re_arm.append(row.id)
    return fire, re_arm


def _fire(conn: Connection, rule_ids: Sequence[int], now: datetime) -> None:
    """The rules' events with their deliveries; the rules disarmed (one-shot ones paused)."""
    rule, quote, events = table_of(AlertRule).c, table_of(Quote).c, table_of(AlertEvent)
    copied = {
        "rule_id": rule.id,
        "user_id": rule.user_id,
        "symbol": rule.symbol,
        "kind": rule.kind,
        "threshold": rule.threshold,
        "price": quote.price,
        "change_percent": quote.change_percent,
        "note": rule.note,
        "quote_at": quote.fetched_at,
        "fired_at": literal(now, events.c.fired_at.type),
        "seen": false(),
        "announced": false(),
    }
    event_ids = (
        conn.execute(
            insert(events)
            .from_select(
                list(copied),
                select(*copied.values())
                .join_from(AlertRule, Quote, quote.symbol == rule.symbol)
                .where(rule.id.in_(rule_ids)),
            )
            .returning(events.c.id)
        )
        .scalars()
        .all()
    )
    queue_deliveries(conn, event_ids, now)
    conn.execute(
        update(AlertRule)
        .where(rule.id.in_(rule_ids))
        .values(armed=False, last_fired_at=now, paused=rule.one_shot)
    )
