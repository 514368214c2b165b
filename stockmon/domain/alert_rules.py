"""Price alert rules: their kinds, and each person's rules (validated, created, paused, deleted).

What a rule's kind means when a quote arrives is decided in
``stockmon.scheduler.alert_evaluation``; this module is what the app edits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Engine,
    delete,
    func,
    select,
    update,
)
from sqlmodel import col

from stockmon.domain.alert_kinds import CHANGE_KINDS, EARNINGS_KINDS, YEAR_KINDS, RuleKind
from stockmon.domain.earnings import HORIZON
from stockmon.domain.errors import StockmonError
from stockmon.domain.models import AlertRule, table_of, utcnow
from stockmon.domain.symbols import normalize_symbol

MAX_NOTE = 200
MAX_RULES_PER_USER = 500


class AlertError(StockmonError):
    """A rule that cannot be saved or changed; the message says why."""


MAX_YEAR_DISTANCE = 50.0


@dataclass(frozen=True)
class NewRule:
    symbol: str
    kind: RuleKind
    threshold: float
    note: str = ""
    one_shot: bool = False


def validate(
    symbol: str | None, kind: str | None, threshold: float | None, note: str = ""
) -> NewRule:
    """A rule as it will be stored, or ``AlertError`` with one clear sentence."""
    if symbol is None or kind is None:
        raise AlertError("Choose a symbol and a condition.")
    try:
        symbol = normalize_symbol(symbol)
        rule_kind = RuleKind(kind)
    except ValueError as error:
        raise AlertError(str(error)) from None
    if threshold is None:  # an empty field
        raise AlertError("The threshold must be a number.")
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise AlertError("The threshold must be a number.") from None
    if rule_kind in YEAR_KINDS:
        if not 0 <= value <= MAX_YEAR_DISTANCE:  # NaN fails both
            raise AlertError(
                "A 52-week alert's threshold is how near the high or low it fires, in % "
                f"(0 for a new high or low, at most {MAX_YEAR_DISTANCE:g})."
            )
    elif rule_kind in EARNINGS_KINDS:
        if not (0 <= value <= HORIZON.days and value == int(value)):
            raise AlertError(
                "An earnings alert's threshold is a whole number of days before the report "
                f"(0 for the day itself, at most {HORIZON.days})."
            )
    elif not math.isfinite(value) or value <= 0:
        raise AlertError("The threshold must be a positive, finite number.")
    if rule_kind in CHANGE_KINDS and value > 1000:
        raise AlertError("A day change threshold is a percentage up to 1000.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise AlertError(f"A note has at most {MAX_NOTE} characters.")
    if not note.isprintable():
        raise AlertError("A note cannot hold control characters (tabs, escapes, new lines).")
    return NewRule(symbol, rule_kind, value, note)


def create_rule(
    engine: Engine,
    user_id: int,
    symbol: str | None,
    kind: str | None,
    threshold: float | None,
    note: str = "",
    one_shot: bool = False,
) -> int:
    """Store a new, armed rule for ``user_id``; its id."""
    rule = validate(symbol, kind, threshold, note)
    with engine.begin() as conn:
        count = conn.execute(
            select(func.count()).select_from(AlertRule).where(col(AlertRule.user_id) == user_id)
        ).scalar_one()
        if count >= MAX_RULES_PER_USER:
            raise AlertError(f"You have {MAX_RULES_PER_USER} rules; delete some first.")
        return conn.execute(
            table_of(AlertRule).insert().returning(table_of(AlertRule).c.id),
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
            .where(col(AlertRule.id) == rule_id, col(AlertRule.user_id) == user_id)
            .values(**values)
        ).rowcount
    if not changed:
        raise AlertError("No such rule.")


def delete_rule(engine: Engine, user_id: int, rule_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            delete(AlertRule).where(col(AlertRule.id) == rule_id, col(AlertRule.user_id) == user_id)
        )
