"""Notification channels through Apprise: each person's notification URLs, and one send.

Notification URLs carry secrets: they are stored encrypted (``vault``), shown only as their
scheme, host and a fingerprint, never logged (other libraries' log lines made while one is
parsed or sent are withheld), and error messages never quote them. Every send obeys the
outbound guard (``outbound``). The process's policy and key are set once from the settings
with ``configure``. Sending alerts from the outbox is ``delivery``'s job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import apprise
from sqlalchemy import Engine, Row, delete, func, insert, select, update
from sqlmodel import col

from stockmon.domain import redaction
from stockmon.domain.alert_kinds import describe
from stockmon.domain.config import Settings, load_settings
from stockmon.domain.errors import StockmonError
from stockmon.domain.keys import SECRET_KEY_FILE, kept_key
from stockmon.domain.models import (
    AlertEvent,
    NotificationChannel,
    utcnow,
)
from stockmon.domain.money import money
from stockmon.domain.outbound import OutboundPolicy, guarded, refusal_before_sending
from stockmon.domain.vault import Vault, fingerprint, is_sealed

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0  # seconds one send may take
MAX_CHANNELS = 10
MAX_URL_LENGTH = 1000


class ChannelError(StockmonError):
    """A notification URL that cannot be used; the message never repeats the URL."""


_policy = OutboundPolicy()  # until ``configure``: public addresses, network schemes only
_vault: Vault | None = None  # until ``configure``: from the settings, at first use


def secret_key(settings: Settings) -> str:
    """The key notification URLs are encrypted with: ``STOCKMON_SECRET_KEY``, else the kept one."""
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    return kept_key(configured, settings.data_dir, SECRET_KEY_FILE)


def configure(settings: Settings) -> None:
    """Set this process's outbound policy and secret key from the admin's settings."""
    global _policy, _vault
    _policy = OutboundPolicy.from_lists(
        settings.notify_allow_private, settings.notify_allowed_hosts, settings.notify_schemes
    )
    _vault = Vault([secret_key(settings)])


def vault() -> Vault:
    if _vault is None:
        configure(load_settings())
    assert _vault is not None
    return _vault


@contextmanager
def _withheld() -> Iterator[None]:
    """While a URL is parsed or sent: other libraries' log lines, which quote it, withheld."""
    with redaction.foreign_records_withheld():
        yield


def _refused(kind: str) -> ChannelError:
    log.warning("a notification to %s was refused", kind)  # never the URL
    return ChannelError(
        f"stockmon does not send notifications to {kind}; an admin may allow it with "
        "STOCKMON_NOTIFY_ALLOW_PRIVATE or STOCKMON_NOTIFY_ALLOWED_HOSTS."
    )


def _plugin(url: str, timeout: float):
    """The one Apprise service ``url`` names, checked against the policy's schemes and, by
    what its host resolves to now, its addresses (call it inside ``_withheld``)."""
    if len(url.strip()) > MAX_URL_LENGTH:
        raise ChannelError(f"A notification URL has at most {MAX_URL_LENGTH} characters.")
    scheme = url.strip().partition("://")[0].lower()
    if scheme not in _policy.schemes:
        log.warning("a notification URL with a refused scheme was refused")
        raise ChannelError(
            "stockmon sends notifications only to network services (ntfy, e-mail, Slack, "
            "Discord, Telegram, webhooks, ...); an admin may allow others with "
            "STOCKMON_NOTIFY_SCHEMES."
        )
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
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    return notifier, plugin


def masked(plugin, url: str) -> str:
    """How a channel is shown: scheme and host as Apprise's privacy form has them (a token in
    the host place is masked there), and a fingerprint of the whole URL."""
    parts = urlsplit(plugin.url(privacy=True))
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}"[:200] + f" · #{fingerprint(url.strip())}"


def add_channel(engine: Engine, user_id: int, url: str) -> str:
    """Store a notification URL for ``user_id``, encrypted; returns its masked form."""
    with _withheld():
        _, plugin = _plugin(url, SEND_TIMEOUT)
        shown = masked(plugin, url)
    with engine.begin() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(NotificationChannel)
            .where(col(NotificationChannel.user_id) == user_id)
        ).scalar_one()
        if count >= MAX_CHANNELS:
            raise ChannelError(f"You have {MAX_CHANNELS} notification URLs; remove one first.")
        conn.execute(
            insert(NotificationChannel).values(
                user_id=user_id, url=vault().seal(url.strip()), shown=shown, created_at=utcnow()
            )
        )
    return shown


def channels(engine: Engine, user_id: int) -> list[tuple[int, str]]:
    """(id, masked URL) of each of ``user_id``'s channels."""
    with engine.connect() as conn:
        return [
            (row.id, row.shown)
            for row in conn.execute(
                select(col(NotificationChannel.id), col(NotificationChannel.shown))
                .where(col(NotificationChannel.user_id) == user_id)
                .order_by(col(NotificationChannel.id))
            )
        ]


def remove_channel(engine: Engine, user_id: int, channel_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            delete(NotificationChannel).where(
                col(NotificationChannel.id) == channel_id,
                col(NotificationChannel.user_id) == user_id,
            )
        )


def _host(plugin) -> str:
    """The host a service connects to, as a resolver takes it ("::1", not "[::1]")."""
    return str(getattr(plugin, "host", "") or "").strip("[]")


def send(url: str, title: str, body: str, timeout: float = SEND_TIMEOUT) -> None:
    """Send one notification, in this thread and under the outbound guard; raises
    ``ChannelError`` (without the URL) when it is refused or fails."""
    with _withheld():
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
            select(col(NotificationChannel.url)).where(
                col(NotificationChannel.id) == channel_id,
                col(NotificationChannel.user_id) == user_id,
            )
        ).scalar_one_or_none()
    if url is None:
        raise ChannelError("No such notification URL.")
    send(vault().open(url), "stockmon test", "Alerts will arrive here.")


def seal_stored(engine: Engine) -> int:
    """Start-up: encrypt the URLs stored before encryption, and show each as it is shown now;
    how many were sealed."""
    with engine.connect() as conn:
        plain = conn.execute(
            select(col(NotificationChannel.id), col(NotificationChannel.url))
        ).all()
    sealed = 0
    for channel_id, url in plain:
        if is_sealed(url):
            continue
        try:
            with _withheld():
                shown = masked(_plugin(url, SEND_TIMEOUT)[1], url)
        except ChannelError:
            shown = f"unusable URL · #{fingerprint(url.strip())}"
        with engine.begin() as conn:
            sealed += conn.execute(
                update(NotificationChannel)
                .where(
                    col(NotificationChannel.id) == channel_id, col(NotificationChannel.url) == url
                )
                .values(url=vault().seal(url), shown=shown)
            ).rowcount
    if sealed:
        log.info(
            "encrypted %d notification URL%s stored before encryption", sealed, "s" * (sealed != 1)
        )
    return sealed


def rotate_secret_key(engine: Engine, old: Vault, new: Vault) -> int:
    """Encrypt every stored URL with ``new``'s key, in one transaction; how many."""
    with engine.begin() as conn:
        rows = conn.execute(select(col(NotificationChannel.id), col(NotificationChannel.url))).all()
        for channel_id, url in rows:
            conn.execute(
                update(NotificationChannel)
                .where(col(NotificationChannel.id) == channel_id)
                .values(url=new.seal(old.open(url)))
            )
    return len(rows)


def message(event: AlertEvent | Row) -> tuple[str, str]:
    """(title, body) of an alert notification; plain text, the note quoted as it was typed."""
    condition = describe(event.kind, event.threshold)
    title = f"stockmon: {event.symbol} {condition}"
    body = f"{event.symbol} is at {money(event.price)} ({condition})."
    if event.note:
        body += f"\nNote: {event.note}"
    return title, body
