"""What each kind of alert rule means, in one place: its name in the picker, its condition in
words, and how far a quote (or the next earnings report) is from firing it. The scheduler's
evaluation (``stockmon.scheduler.alert_evaluation``) and every page use these definitions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from stockmon.domain.money import money, price_decimals


class RuleKind(StrEnum):
    ABOVE = "above"
    BELOW = "below"
    UP_PCT = "up_pct"
    DOWN_PCT = "down_pct"
    HIGH_52W = "high_52w"
    LOW_52W = "low_52w"
    EARNINGS = "earnings"


@dataclass(frozen=True)
class KindText:
    choice: str
    """The kind in the rule form's picker."""
    condition: str
    """A rule's condition, with ``{}`` for its threshold as written."""


KINDS: dict[RuleKind, KindText] = {
    RuleKind.ABOVE: KindText("Price above", "price above {}"),
    RuleKind.BELOW: KindText("Price below", "price below {}"),
    RuleKind.UP_PCT: KindText("Day change at or above +%", "day change ≥ +{} %"),
    RuleKind.DOWN_PCT: KindText("Day change at or below -%", "day change ≤ -{} %"),
    RuleKind.HIGH_52W: KindText(
        "Near the 52-week high (within %)", "within {} % of the 52-week high"
    ),
    RuleKind.LOW_52W: KindText("Near the 52-week low (within %)", "within {} % of the 52-week low"),
    RuleKind.EARNINGS: KindText("Earnings within N days", "earnings within {}"),
}
KIND_CHOICES = {kind.value: text.choice for kind, text in KINDS.items()}
PRICE_KINDS = (RuleKind.ABOVE, RuleKind.BELOW)  # threshold: a price
CHANGE_KINDS = (RuleKind.UP_PCT, RuleKind.DOWN_PCT)  # threshold: the day's change, in %
YEAR_KINDS = (RuleKind.HIGH_52W, RuleKind.LOW_52W)  # threshold: % from the 52-week high or low
EARNINGS_KINDS = (RuleKind.EARNINGS,)  # threshold: whole days before the next report
YEAR_KINDS_SQL = "kind IN ({})".format(", ".join(f"'{kind.value}'" for kind in YEAR_KINDS))
EARNINGS_KINDS_SQL = "kind IN ({})".format(", ".join(f"'{kind.value}'" for kind in EARNINGS_KINDS))
DISTANCE_HELP = (
    "How far the quote is from firing: % of the threshold for a price rule, percentage points "
    "of day change for a change rule, percentage points for a 52-week rule, days for an "
    "earnings rule (0 or less: firing)."
)


STARTING_THRESHOLD: dict[str, float] = {
    RuleKind.UP_PCT: 5.0,
    RuleKind.DOWN_PCT: 5.0,
    RuleKind.HIGH_52W: 2.0,
    RuleKind.LOW_52W: 2.0,
    RuleKind.EARNINGS: 7.0,
}


def starting_threshold(kind: str, price: float | None) -> float | None:
    """Where a new rule's threshold starts: the current price for a price rule (None, an
    empty field, while the symbol has no quote), a usual percentage or number of days for the
    others."""
    if kind in PRICE_KINDS:
        if price is None or not math.isfinite(price) or price <= 0:
            return None
        return round(price, price_decimals(price))
    return STARTING_THRESHOLD.get(kind)


def describe(kind: str, threshold: float) -> str:
    """A rule's condition in words: "price above 1,200.00"."""
    try:
        text = KINDS[RuleKind(kind)]
    except ValueError:
        return f"{kind} {threshold:g}"
    if kind in PRICE_KINDS:
        written = money(threshold)
    elif kind in EARNINGS_KINDS:
        written = f"{threshold:g} day{'s' * (threshold != 1)}"
    else:
        written = f"{threshold:g}"
    return text.condition.format(written)


def distance(
    kind: str,
    threshold: float,
    price: float | None,
    change: float | None,
    year_low: float | None = None,
    year_high: float | None = None,
    earnings_in: int | None = None,
) -> float:
    """How far a quote is from firing the rule (positive: not yet), NaN when the quote, the
    52-week range or the upcoming report (``earnings_in`` days away) it needs is missing."""
    now, day = _number(price), _number(change)
    high, low = _number(year_high) or math.nan, _number(year_low) or math.nan
    if kind == RuleKind.ABOVE:
        return (threshold - now) / threshold * 100
    if kind == RuleKind.BELOW:
        return (now - threshold) / threshold * 100
    if kind == RuleKind.UP_PCT:
        return threshold - day
    if kind == RuleKind.DOWN_PCT:
        return day + threshold
    if kind == RuleKind.HIGH_52W:
        return (high - now) / high * 100 - threshold
    if kind == RuleKind.LOW_52W:
        return (now - low) / low * 100 - threshold
    if kind == RuleKind.EARNINGS and earnings_in is not None:
        return earnings_in - threshold
    return math.nan


def earnings_fires(threshold: float, earnings_in: int | None) -> bool:
    """Whether an earnings rule's condition holds: a report still to come
    (``earnings.days_ahead``), at most ``threshold`` days away."""
    return earnings_in is not None and earnings_in <= threshold


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)
