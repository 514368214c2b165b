"""What the app shows of a person's alerts: rules with their state, and fired events."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from stockmon.domain.alert_kinds import describe, distance
from stockmon.domain.daily import range_before
from stockmon.domain.earnings import days_ahead
from stockmon.domain.models import (
    AlertDelivery,
    AlertEvent,
    AlertRule,
    EarningsReport,
    Quote,
    table_of,
    utcnow,
)

RULE_COLUMNS = ["id", "symbol", "condition", "note", "state", "price", "distance", "one_shot"]
EVENT_COLUMNS = ["id", "fired_at", "symbol", "condition", "price", "note", "seen", "delivery"]


def rules_overview(engine: Engine, user_id: int) -> pd.DataFrame:
    """The person's rules with their state (armed, fired, paused) and distance to firing."""
    now = utcnow()
    mine = select(col(AlertRule.symbol)).where(col(AlertRule.user_id) == user_id)
    year = range_before(now.date(), mine).subquery("year")
    with Session(engine) as session:
        rows = session.execute(
            sa_select(
                AlertRule,
                col(Quote.price),
                col(Quote.change_percent),
                year.c.year_low,
                year.c.year_high,
                col(EarningsReport.report_day),
            )
            .outerjoin(Quote, col(Quote.symbol) == col(AlertRule.symbol))
            .outerjoin(year, year.c.symbol == col(AlertRule.symbol))
            .outerjoin(EarningsReport, col(EarningsReport.symbol) == col(AlertRule.symbol))
            .where(col(AlertRule.user_id) == user_id)
            .order_by(col(AlertRule.symbol), col(AlertRule.id))
        ).all()
    records = []
    for rule, price, change, year_low, year_high, report_day in rows:
        state = "paused" if rule.paused else "armed" if rule.armed else "fired"
        earnings_in = days_ahead(report_day, now)
        records.append(
            {
                "id": rule.id,
                "symbol": rule.symbol,
                "condition": describe(rule.kind, rule.threshold),
                "note": rule.note,
                "state": state,
                "price": price,
                "distance": distance(
                    rule.kind, rule.threshold, price, change, year_low, year_high, earnings_in
                ),
                "one_shot": rule.one_shot,
            }
        )
    return pd.DataFrame.from_records(records, columns=RULE_COLUMNS)


def events(
    engine: Engine, user_id: int, symbol: str | None = None, unseen_only: bool = False
) -> pd.DataFrame:
    """The person's fired alerts, newest first (at most 500)."""
    query = select(AlertEvent).where(col(AlertEvent.user_id) == user_id)
    if symbol:
        query = query.where(col(AlertEvent.symbol) == symbol)
    if unseen_only:
        query = query.where(col(AlertEvent.seen).is_(False))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(col(AlertEvent.id).desc()).limit(500)).all()
        states = conn.execute(
            select(col(AlertDelivery.event_id), col(AlertDelivery.state), func.count())
            .where(col(AlertDelivery.event_id).in_([e.id for e in rows]))
            .group_by(col(AlertDelivery.event_id), col(AlertDelivery.state))
        ).all()
    delivery: dict[int, list[str]] = {}
    for event_id, state, count in sorted(states):
        delivery.setdefault(event_id, []).append(f"{count} {state}")
    return pd.DataFrame.from_records(
        [
            {
                "id": e.id,
                "fired_at": e.fired_at,
                "symbol": e.symbol,
                "condition": describe(e.kind, e.threshold),
                "price": e.price,
                "note": e.note,
                "seen": e.seen,
                "delivery": ", ".join(delivery.get(e.id, [])) or "in the app only",
            }
            for e in rows
        ],
        columns=EVENT_COLUMNS,
    )


def unseen_count(engine: Engine, user_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(AlertEvent)
            .where(col(AlertEvent.user_id) == user_id, col(AlertEvent.seen).is_(False))
        ).scalar_one()


def mark_all_read(engine: Engine, user_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(AlertEvent)
            .where(col(AlertEvent.user_id) == user_id, col(AlertEvent.seen).is_(False))
            .values(seen=True)
        )


def claim_announcements(engine: Engine, user_id: int) -> list[AlertEvent]:
    """Events not yet toasted, claimed in one statement, so that with several tabs open each
    event is toasted by exactly one of them."""
    table = table_of(AlertEvent)
    with engine.begin() as conn:
        rows = conn.execute(
            update(table)
            .where(table.c.user_id == user_id, table.c.announced.is_(False))
            .values(announced=True)
            .returning(table)
        ).all()
    return [AlertEvent.model_validate(row._mapping) for row in sorted(rows, key=lambda r: r.id)]
