"""Notification channels through Apprise: each person's notification URLs, and one send.

Notification URLs carry secrets: only their masked form is ever shown or logged, and error
messages never quote them. Every send obeys the outbound guard (``outbound``): the process's
policy, set once from the settings with ``configure``. Sending alerts from the outbox is
``delivery``'s job.
"""

from __future__ import annotations

import logging

import apprise
from sqlalchemy import Engine, Row, delete, func, insert, select

from stockmon import redaction
from stockmon.alert_inbox import describe
from stockmon.config import Settings
from stockmon.models import (
    AlertEvent,
    NotificationChannel,
    utcnow,
)
from stockmon.outbound import OutboundPolicy, guarded, refusal_before_sending

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds one send may take
MAX_CHANNELS = 10


class ChannelError(ValueError):
    """A notification URL that cannot be used; the message never repeats the URL."""


_policy = OutboundPolicy()  # until ``configure``: public addresses, network schemes only


def configure(settings: Settings) -> None:
    """Set this process's outbound policy from the admin's settings."""
    global _policy
    _policy = OutboundPolicy.from_lists(
        settings.notify_allow_private, settings.notify_allowed_hosts, settings.notify_schemes
    )


def _refused(kind: str) -> ChannelError:
    log.warning("a notification to %s was refused", kind)  # never the URL
    return ChannelError(
        f"stockmon does not send notifications to {kind}; an admin may allow it with "
        "STOCKMON_NOTIFY_ALLOW_PRIVATE or STOCKMON_NOTIFY_ALLOWED_HOSTS."
    )


def _plugin(url: str, timeout: float):
    """The one Apprise service ``url`` names, checked against the policy's schemes and, by
    what its host resolves to now, its addresses."""
    scheme = url.strip().partition("://")[0].lower()
    if scheme not in _policy.schemes:
        log.warning("a notification URL with a refused scheme was refused")
        raise ChannelError(
            "stockmon sends notifications only to network services (ntfy, e-mail, Slack, "
            "Discord, Telegram, webhooks, ...); an admin may allow others with "
            "STOCKMON_NOTIFY_SCHEMES."
        )
    redaction.add_secret(url.strip())  # before Apprise logs it as it parses it
    notifier = apprise.Apprise()
    if not notifier.add(url.strip()):
        raise ChannelError(
            "Apprise does not understand that URL (see its list of services, e.g. "
            "ntfy://topic, mailto://user:pass@host, json://host/path)."
        )
    if len(notifier) != 1:
        raise ChannelError("One notification URL per field: add each service on its own.")
    plugin = notifier[0]
    if kind := refusal_before_sending(_policy, _host(plugin), getattr(plugin, "port", None)):
        raise _refused(kind)
    if password := getattr(plugin, "password", None):  # nor Apprise's own log lines
        redaction.add_secret(password)
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


def _host(plugin) -> str:
    """The host a service connects to, as a resolver takes it ("::1", not "[::1]")."""
    return str(getattr(plugin, "host", "") or "").strip("[]")


def send(url: str, title: str, body: str, timeout: float = SEND_TIMEOUT) -> None:
    """Send one notification, in this thread and under the outbound guard; raises
    ``ChannelError`` (without the URL) when it is refused or fails."""
    _, plugin = _plugin(url, timeout)
    with guarded(_policy, _host(plugin)) as verdict:
        accepted = plugin.notify(title=title, body=body)
    if verdict.refused:
        raise _refused(verdict.refused)
    if not accepted:
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
