"""Alert delivery through Apprise: each person's notification URLs, and the outbox job.

Firing an alert queues one delivery per channel of its owner, in the transaction that stores
the event. The scheduler's delivery job, apart from quote fetching, sends what is due, each
send bounded by a timeout, and retries a failure with growing waits up to ``MAX_ATTEMPTS``; a
slow or dead endpoint holds up only its own deliveries. A delivery is marked done right after
Apprise accepts it. Notification URLs carry secrets: only their masked form is ever shown or
logged, and error messages never quote them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta

import apprise
from sqlalchemy import Connection, Engine, Row, delete, func, insert, literal, select, update

from stockmon import redaction
from stockmon.alert_inbox import describe
from stockmon.models import (
    AlertDelivery,
    AlertEvent,
    NotificationChannel,
    utcnow,
)

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds one send may take
MAX_ATTEMPTS = 5
RETRY_WAITS = (timedelta(seconds=10), timedelta(minutes=10))  # first, longest
BATCH = 50
MAX_CHANNELS = 10


class ChannelError(ValueError):
    """A notification URL that cannot be used; the message never repeats the URL."""


def _plugin(url: str, timeout: float):
    notifier = apprise.Apprise()
    if not notifier.add(url.strip()):
        raise ChannelError(
            "Apprise does not understand that URL (see its list of services, e.g. "
            "ntfy://topic, mailto://user:pass@host, json://host/path)."
        )
    plugin = notifier[0]
    for secret in (url.strip(), getattr(plugin, "password", None)):
        if secret:  # Apprise's own log lines must not carry them either
            redaction.add_secret(secret)
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    return notifier, plugin


def add_channel(engine: Engine, user_id: int, url: str) -> str:
    """Store a notification URL for ``user_id``; returns its masked form."""
    _, plugin = _plugin(url, SEND_TIMEOUT)
    shown = plugin.url(privacy=True)[:300]
    with engine.begin() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(NotificationChannel)
            .where(NotificationChannel.user_id == user_id)
        ).scalar_one()
        if count >= MAX_CHANNELS:
            raise ChannelError(f"You have {MAX_CHANNELS} notification URLs; remove one first.")
        conn.execute(
            insert(NotificationChannel).values(
                user_id=user_id, url=url.strip(), shown=shown, created_at=utcnow()
            )
        )
    return shown


def channels(engine: Engine, user_id: int) -> list[tuple[int, str]]:
    """(id, masked URL) of each of ``user_id``'s channels."""
    with engine.connect() as conn:
        return [
            (row.id, row.shown)
            for row in conn.execute(
                select(NotificationChannel.id, NotificationChannel.shown)
                .where(NotificationChannel.user_id == user_id)
                .order_by(NotificationChannel.id)
            )
        ]


def remove_channel(engine: Engine, user_id: int, channel_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            delete(NotificationChannel).where(
                NotificationChannel.id == channel_id, NotificationChannel.user_id == user_id
            )
        )


def send(url: str, title: str, body: str, timeout: float = SEND_TIMEOUT) -> None:
    """Send one notification; raises ``ChannelError`` (without the URL) when it fails."""
    notifier, _ = _plugin(url, timeout)
    if not notifier.notify(title=title, body=body):
        raise ChannelError("the service did not accept the notification")


def send_test(engine: Engine, user_id: int, channel_id: int) -> None:
    with engine.connect() as conn:
        url = conn.execute(
            select(NotificationChannel.url).where(
                NotificationChannel.id == channel_id, NotificationChannel.user_id == user_id
            )
        ).scalar_one_or_none()
    if url is None:
        raise ChannelError("No such notification URL.")
    send(url, "stockmon test", "Alerts will arrive here.")


def queue_deliveries(conn: Connection, event_ids: Sequence[int], now: datetime) -> None:
    """Inside the transaction that stores events: one pending delivery per owner's channel."""
    if not event_ids:
        return
    events, chans = AlertEvent.__table__.c, NotificationChannel.__table__.c
    conn.execute(
        insert(AlertDelivery).from_select(
            ["event_id", "channel_id", "state", "attempts", "next_attempt_at"],
            select(events.id, chans.id, literal("pending"), literal(0), literal(now))
            .join_from(AlertEvent, NotificationChannel, chans.user_id == events.user_id)
            .where(events.id.in_(event_ids)),
        )
    )


@dataclass(frozen=True)
class _Due:
    event_id: int
    channel_id: int
    attempts: int
    url: str
    title: str
    body: str


def message(event: AlertEvent | Row) -> tuple[str, str]:
    """(title, body) of an alert notification; plain text, the note quoted as it was typed."""
    condition = describe(event.kind, event.threshold)
    title = f"stockmon: {event.symbol} {condition}"
    body = f"{event.symbol} is at {event.price:,.2f} ({condition})."
    if event.note:
        body += f"\nNote: {event.note}"
    return title, body


def deliver_due(
    engine: Engine,
    now: Callable[[], datetime] = utcnow,
    sender: Callable[[str, str, str], None] = send,
    timeout: float = SEND_TIMEOUT,
    workers: int = 4,
) -> int:
    """Send the deliveries that are due; returns how many were delivered."""
    due = _due(engine, now())
    if not due:
        return 0
    delivered = 0
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")
    try:
        futures = [(item, pool.submit(sender, item.url, item.title, item.body)) for item in due]
        for item, future in futures:
            try:
                future.result(timeout=timeout)
            except FutureTimeout:
                _failed(engine, item, f"no answer within {timeout:g} s", now())
            except Exception as error:  # any failure of a third-party service
                reason = str(error) if isinstance(error, ChannelError) else type(error).__name__
                _failed(engine, item, reason, now())
            else:
                _delivered(engine, item, now())
                delivered += 1
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a hung endpoint is left behind
    return delivered


def _due(engine: Engine, moment: datetime) -> list[_Due]:
    delivery, event, channel = AlertDelivery, AlertEvent, NotificationChannel
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                delivery.event_id,
                delivery.channel_id,
                delivery.attempts,
                channel.url,
                event.symbol,
                event.kind,
                event.threshold,
                event.price,
                event.note,
            )
            .join(event, event.id == delivery.event_id)
            .join(channel, channel.id == delivery.channel_id)
            .where(delivery.state == "pending", delivery.next_attempt_at <= moment)
            .order_by(delivery.next_attempt_at)
            .limit(BATCH)
        ).all()
    return [
        _Due(row.event_id, row.channel_id, row.attempts, row.url, *message(row)) for row in rows
    ]


def _key(item: _Due):
    return (AlertDelivery.event_id == item.event_id) & (AlertDelivery.channel_id == item.channel_id)


def _delivered(engine: Engine, item: _Due, moment: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(AlertDelivery)
            .where(_key(item))
            .values(state="delivered", attempts=item.attempts + 1, delivered_at=moment)
        )


def _failed(engine: Engine, item: _Due, reason: str, moment: datetime) -> None:
    attempts = item.attempts + 1
    first, longest = RETRY_WAITS
    wait = min(first * 3 ** (attempts - 1), longest)
    state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    log.warning("alert delivery to channel %s failed (%s): %s", item.channel_id, state, reason)
    with engine.begin() as conn:
        conn.execute(
            update(AlertDelivery)
            .where(_key(item))
            .values(
                state=state,
                attempts=attempts,
                next_attempt_at=moment + wait,
                last_error=reason[:300],
            )
        )
