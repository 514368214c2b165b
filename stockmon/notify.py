"""Notification channels through Apprise: each person's notification URLs, and one send.

Notification URLs carry secrets: only their masked form is ever shown or logged, and error
messages never quote them. Sending alerts from the outbox is ``delivery``'s job.
"""

from __future__ import annotations

import logging

import apprise
from sqlalchemy import Engine, Row, delete, func, insert, select

from stockmon import redaction
from stockmon.alert_inbox import describe
from stockmon.models import (
    AlertEvent,
    NotificationChannel,
    utcnow,
)

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds one send may take
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


def message(event: AlertEvent | Row) -> tuple[str, str]:
    """(title, body) of an alert notification; plain text, the note quoted as it was typed."""
    condition = describe(event.kind, event.threshold)
    title = f"stockmon: {event.symbol} {condition}"
    body = f"{event.symbol} is at {event.price:,.2f} ({condition})."
    if event.note:
        body += f"\nNote: {event.note}"
    return title, body
