"""Price alerts: each person's rules, and their evaluation against newly stored quotes.

A rule fires once per crossing: when its condition becomes true on a new quote while it is
armed. It re-arms only when a later quote takes the condition back beyond a margin (0.1 % of a
price threshold, 0.05 percentage points of a change threshold), so a price wobbling around the
threshold does not fire again and again. A quote fetched before the rule was created never
fires it, and only stored (good) quotes are evaluated. One-shot rules pause themselves after
firing. Evaluation runs in the scheduler, inside the transaction that stores the quotes, so an
event is stored exactly when its quote is: never lost, never twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, select, update

from stockmon.config import normalize_symbol
from stockmon.models import AlertEvent, AlertRule, utcnow
from stockmon.notify import queue_deliveries

PRICE_MARGIN = 0.001  # of the threshold
PERCENT_MARGIN = 0.05  # percentage points
MAX_NOTE = 200
MAX_RULES_PER_USER = 500


class AlertError(ValueError):
    """A rule that cannot be saved or changed; the message says why."""


class RuleKind(StrEnum):
    ABOVE = "above"
    BELOW = "below"
    UP_PCT = "up_pct"
    DOWN_PCT = "down_pct"
    HIGH_52W = "high_52w"
    LOW_52W = "low_52w"


NOT_YET = {RuleKind.HIGH_52W, RuleKind.LOW_52W}


@dataclass(frozen=True)
class NewRule:
    symbol: str
    kind: RuleKind
    threshold: float
    note: str = ""
    one_shot: bool = False


def validate(symbol: str, kind: str, threshold: float, note: str = "") -> NewRule:
    """A rule as it will be stored, or ``AlertError`` with one clear sentence."""
    try:
        symbol = normalize_symbol(symbol)
        rule_kind = RuleKind(kind)
    except ValueError as error:
        raise AlertError(str(error)) from None
    if rule_kind in NOT_YET:
        raise AlertError(
            "52-week high and low alerts need the 52-week range, which stockmon does not "
            "keep yet; use a price above or below rule instead."
        )
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise AlertError("The threshold must be a number.") from None
    if not math.isfinite(value) or value <= 0:
        raise AlertError("The threshold must be a positive, finite number.")
    if rule_kind in (RuleKind.UP_PCT, RuleKind.DOWN_PCT) and value > 1000:
        raise AlertError("A day change threshold is a percentage up to 1000.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise AlertError(f"A note has at most {MAX_NOTE} characters.")
    return NewRule(symbol, rule_kind, value, note)


def create_rule(
    engine: Engine,
    user_id: int,
    symbol: str,
    kind: str,
    threshold: float,
    note: str = "",
    one_shot: bool = False,
) -> int:
    """Store a new, armed rule for ``user_id``; its id."""
    rule = validate(symbol, kind, threshold, note)
    with engine.begin() as conn:
        count = conn.execute(
            select(func.count()).select_from(AlertRule).where(AlertRule.user_id == user_id)
        ).scalar_one()
        if count >= MAX_RULES_PER_USER:
            raise AlertError(f"You have {MAX_RULES_PER_USER} rules; delete some first.")
        return conn.execute(
            AlertRule.__table__.insert().returning(AlertRule.__table__.c.id),
            {
                "user_id": user_id,
                "symbol": rule.symbol,
                "kind": rule.kind.value,
                "threshold": rule.threshold,
                "note": rule.note,
                "paused": False,
                "one_shot": one_shot,
                "armed": True,
                "created_at": utcnow(),
            },
        ).scalar_one()


def set_paused(engine: Engine, user_id: int, rule_id: int, paused: bool) -> None:
    """Pause or resume one of ``user_id``'s rules; resuming re-arms it."""
    values: dict[str, Any] = {"paused": paused}
    if not paused:
        values["armed"] = True
    with engine.begin() as conn:
        changed = conn.execute(
            update(AlertRule)
            .where(AlertRule.id == rule_id, AlertRule.user_id == user_id)
            .values(**values)
        ).rowcount
    if not changed:
        raise AlertError("No such rule.")


def delete_rule(engine: Engine, user_id: int, rule_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(delete(AlertRule).where(AlertRule.id == rule_id, AlertRule.user_id == user_id))


def _holds(kind: str, threshold: float, price: float, change: float | None) -> bool:
    match kind:
        case RuleKind.ABOVE:
            return price >= threshold
        case RuleKind.BELOW:
            return price <= threshold
        case RuleKind.UP_PCT:
            return change is not None and change >= threshold
        case RuleKind.DOWN_PCT:
            return change is not None and change <= -threshold
    return False


def _released(kind: str, threshold: float, price: float, change: float | None) -> bool:
    """The condition is false by more than the re-arm margin."""
    match kind:
        case RuleKind.ABOVE:
            return price < threshold * (1 - PRICE_MARGIN)
        case RuleKind.BELOW:
            return price > threshold * (1 + PRICE_MARGIN)
        case RuleKind.UP_PCT:
            return change is not None and change < threshold - PERCENT_MARGIN
        case RuleKind.DOWN_PCT:
            return change is not None and change > -threshold + PERCENT_MARGIN
    return False


def evaluate(conn: Connection, quotes: Sequence[Mapping[str, Any]], now: datetime) -> int:
    """Fire and re-arm the active rules on ``quotes`` (rows just stored: symbol, price,
    change_percent, fetched_at), inside the caller's transaction; the events fired.

    One query loads every active rule on these symbols; the changes go back as two batched
    statements, whatever the number of rules.
    """
    latest = {q["symbol"]: q for q in quotes}
    if not latest:
        return 0
    rules = conn.execute(
        select(
            AlertRule.id,
            AlertRule.user_id,
            AlertRule.symbol,
            AlertRule.kind,
            AlertRule.threshold,
            AlertRule.note,
            AlertRule.one_shot,
            AlertRule.armed,
            AlertRule.created_at,
        ).where(AlertRule.symbol.in_(latest), AlertRule.paused.is_(False))
    ).all()
    fired, rearmed = [], []
    for rule in rules:
        quote = latest[rule.symbol]
        if quote["fetched_at"] < rule.created_at:  # the rule is newer than this quote
            continue
        price, change = quote["price"], quote["change_percent"]
        if rule.armed and _holds(rule.kind, rule.threshold, price, change):
            fired.append((rule, quote))
        elif not rule.armed and _released(rule.kind, rule.threshold, price, change):
            rearmed.append(rule.id)
    if fired:
        event_ids = (
            conn.execute(
                AlertEvent.__table__.insert().returning(
                    AlertEvent.__table__.c.id, sort_by_parameter_order=True
                ),
                [
                    {
                        "rule_id": rule.id,
                        "user_id": rule.user_id,
                        "symbol": rule.symbol,
                        "kind": rule.kind,
                        "threshold": rule.threshold,
                        "price": quote["price"],
                        "change_percent": quote["change_percent"],
                        "note": rule.note,
                        "quote_at": quote["fetched_at"],
                        "fired_at": now,
                        "seen": False,
                        "announced": False,
                    }
                    for rule, quote in fired
                ],
            )
            .scalars()
            .all()
        )
        queue_deliveries(conn, event_ids, now)
        table = AlertRule.__table__
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("rule_id"))
            .values(armed=False, last_fired_at=now, paused=bindparam("pause")),
            [{"rule_id": rule.id, "pause": rule.one_shot} for rule, _ in fired],
        )
    if rearmed:
        conn.execute(update(AlertRule).where(AlertRule.id.in_(rearmed)).values(armed=True))
    return len(fired)
