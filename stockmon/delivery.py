"""The alert outbox: deliveries queued with their events, sent off the fetching path.

Firing an alert queues one delivery per channel of its owner, in the transaction that stores
the event. The scheduler's delivery job starts the sends that are due on a pool of its own and
returns at once: each send is bounded by a socket timeout and holds only its own thread, so a
slow or dead endpoint delays neither quote fetching nor anyone else's deliveries. A failure is
retried with growing waits up to ``MAX_ATTEMPTS``. A delivery is marked done right after the
service accepts it; a crash in between sends it again after a restart (at least once).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, insert, literal, select, update

from stockmon.models import AlertDelivery, AlertEvent, NotificationChannel, utcnow
from stockmon.notify import SEND_TIMEOUT, ChannelError, message, send

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_WAITS = (timedelta(seconds=10), timedelta(minutes=10))  # first, longest
BATCH = 50
WORKERS = 8

Sender = Callable[[str, str, str, float], None]  # url, title, body, timeout


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

    @property
    def key(self) -> tuple[int, int]:
        return self.event_id, self.channel_id


class Deliverer:
    """Sends due deliveries on its own threads; a delivery in flight is never started twice."""

    def __init__(
        self,
        engine: Engine,
        *,
        now: Callable[[], datetime] = utcnow,
        sender: Sender = send,
        timeout: float = SEND_TIMEOUT,
        workers: int = WORKERS,
    ) -> None:
        self.engine = engine
        self._now = now
        self._sender = sender
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")
        self._in_flight: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def start_due(self) -> list[Future[bool]]:
        """Start every due delivery not already in flight; each future tells if it arrived."""
        started = []
        for item in _due(self.engine, self._now()):
            with self._lock:
                if item.key in self._in_flight:
                    continue
                self._in_flight.add(item.key)
            started.append(self._pool.submit(self._deliver, item))
        return started

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _deliver(self, item: _Due) -> bool:
        try:
            self._sender(item.url, item.title, item.body, self.timeout)
        except Exception as error:  # any failure of a third-party service
            reason = str(error) if isinstance(error, ChannelError) else type(error).__name__
            _failed(self.engine, item, reason, self._now())
            return False
        else:
            _delivered(self.engine, item, self._now())
            log.info("delivered alert %s to channel %s", item.event_id, item.channel_id)
            return True
        finally:
            with self._lock:
                self._in_flight.discard(item.key)


def deliver_due(
    engine: Engine,
    now: Callable[[], datetime] = utcnow,
    sender: Sender = send,
    timeout: float = SEND_TIMEOUT,
) -> int:
    """Send what is due and wait for the sends (``scheduler.py --once``); how many arrived."""
    deliverer = Deliverer(engine, now=now, sender=sender, timeout=timeout)
    try:
        futures = deliverer.start_due()
        wait(futures)
        return sum(future.result() for future in futures)
    finally:
        deliverer.close()


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
    wait_for = min(first * 3 ** (attempts - 1), longest)
    state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    log.warning("alert delivery to channel %s failed (%s): %s", item.channel_id, state, reason)
    with engine.begin() as conn:
        conn.execute(
            update(AlertDelivery)
            .where(_key(item))
            .values(
                state=state,
                attempts=attempts,
                next_attempt_at=moment + wait_for,
                last_error=reason[:300],
            )
        )
