"""The alert outbox: deliveries queued with their events, sent off the fetching path.

Firing an alert queues one delivery per channel of its owner, in the transaction that stores
the event. The scheduler's delivery job starts the sends that are due on a pool of its own and
returns at once: each send is bounded by a socket timeout and holds only its own thread, so a
slow or dead endpoint never delays quote fetching. Fair shares keep it from delaying anyone
else's deliveries: a person holds at most ``PER_PERSON`` of the workers and a channel one, the
due list gives every person a turn, and a channel whose sends failed ``BREAKER_FAILURES``
times running rests for ``BREAKER_REST`` (a circuit breaker). Nothing waits in a queue behind
a busy worker: what finds no worker free is started at the next look. A failure is retried
with growing waits up to ``MAX_ATTEMPTS``. A delivery is marked done right after the service
accepts it; a crash in between sends it again after a restart (at least once).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, insert, literal, select, update
from sqlmodel import col

from stockmon.domain.backoff import growing_wait
from stockmon.domain.models import AlertDelivery, AlertEvent, NotificationChannel, table_of, utcnow
from stockmon.domain.notify import SEND_TIMEOUT, ChannelError, message, send, vault
from stockmon.domain.vault import VaultError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_WAITS = (timedelta(seconds=10), timedelta(minutes=10))  # first, longest
BATCH = 50
WORKERS = 8
PER_PERSON = 2  # workers one person's deliveries may hold at once
BATCH_PER_CHANNEL = 2  # of a look's due deliveries: each channel's oldest first
BREAKER_FAILURES = 3  # failed sends in a row that rest a channel
BREAKER_REST = 300.0  # seconds a resting channel is left alone

Sender = Callable[[str, str, str, float], None]  # url, title, body, timeout


def queue_deliveries(conn: Connection, event_ids: Sequence[int], now: datetime) -> None:
    """Inside the transaction that stores events: one pending delivery per owner's channel."""
    if not event_ids:
        return
    events, chans = table_of(AlertEvent).c, table_of(NotificationChannel).c
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
    user_id: int
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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self._now = now
        self._sender = sender
        self.timeout = timeout
        self._workers = workers
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")
        self._in_flight: dict[tuple[int, int], _Due] = {}
        self._failures_in_a_row: Counter[int] = Counter()  # by channel
        self._resting_until: dict[int, float] = {}  # by channel, on ``clock``
        self._finished_during_look: set[tuple[int, int]] = set()  # read as pending, now done
        self._lock = threading.Lock()

    def start_due(self) -> list[Future[bool]]:
        """Start the due deliveries a free worker can take now, fairly: a person's within
        their share, a channel's one at a time, none of a resting channel; each future tells
        if it arrived."""
        started = []
        with self._lock:
            self._finished_during_look.clear()
        for item in _due(self.engine, self._now()):
            with self._lock:
                if item.key in self._finished_during_look or not self._may_start(item):
                    continue
                self._in_flight[item.key] = item
            started.append(self._pool.submit(self._deliver, item))
        return started

    def _may_start(self, item: _Due) -> bool:
        """Under the lock: a worker is free, and neither the person nor the channel is past
        their share or resting."""
        busy = self._in_flight.values()
        if item.key in self._in_flight or len(self._in_flight) >= self._workers:
            return False
        if sum(other.user_id == item.user_id for other in busy) >= PER_PERSON:
            return False
        if any(other.channel_id == item.channel_id for other in busy):
            return False
        return self._resting_until.get(item.channel_id, 0.0) <= self._clock()

    def _count(self, item: _Due, arrived: bool) -> None:
        """Under the lock: the channel's run of failures, and its rest after too many."""
        if arrived:
            self._failures_in_a_row.pop(item.channel_id, None)
            self._resting_until.pop(item.channel_id, None)
            return
        self._failures_in_a_row[item.channel_id] += 1
        if self._failures_in_a_row[item.channel_id] >= BREAKER_FAILURES:
            self._resting_until[item.channel_id] = self._clock() + BREAKER_REST
            log.warning(
                "channel %s failed %d times running: resting it for %.0f s",
                item.channel_id,
                self._failures_in_a_row[item.channel_id],
                BREAKER_REST,
            )

    def close(self, wait: bool = False) -> None:
        """Start nothing more; ``wait`` for the sends under way to end."""
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def _deliver(self, item: _Due) -> bool:
        arrived = False
        try:
            self._sender(vault().open(item.url), item.title, item.body, self.timeout)
        except Exception as error:  # any failure of a third-party service
            ours = isinstance(error, ChannelError | VaultError)
            reason = str(error) if ours else type(error).__name__
            _failed(self.engine, item, reason, self._now())
        else:
            arrived = True
            _delivered(self.engine, item, self._now())
            log.info("delivered alert %s to channel %s", item.event_id, item.channel_id)
        finally:
            with self._lock:
                self._in_flight.pop(item.key, None)
                self._finished_during_look.add(item.key)  # a look may have read it as due
                self._count(item, arrived)
        return arrived


def deliver_due(
    engine: Engine,
    now: Callable[[], datetime] = utcnow,
    sender: Sender = send,
    timeout: float = SEND_TIMEOUT,
) -> int:
    """Send what is due, a fair share at a time, and wait for the sends until nothing more can
    start (``scheduler.py --once``); how many arrived."""
    deliverer = Deliverer(engine, now=now, sender=sender, timeout=timeout)
    arrived = 0
    try:
        while futures := deliverer.start_due():
            wait(futures)
            arrived += sum(future.result() for future in futures)
        return arrived
    finally:
        deliverer.close()


def _due(engine: Engine, moment: datetime) -> list[_Due]:
    """Up to ``BATCH`` due deliveries, oldest first, at most ``BATCH_PER_CHANNEL`` a channel,
    so one person's backlog never fills the batch: everyone's oldest come first."""
    delivery = table_of(AlertDelivery).c
    events, channels = table_of(AlertEvent), table_of(NotificationChannel)
    event, channel = events.c, channels.c
    turn = (
        func.row_number()
        .over(partition_by=delivery.channel_id, order_by=delivery.next_attempt_at)
        .label("turn")
    )
    ranked = (
        select(
            delivery.event_id,
            delivery.channel_id,
            delivery.attempts,
            delivery.next_attempt_at,
            turn,
        )
        .where(delivery.state == "pending", delivery.next_attempt_at <= moment)
        .subquery("ranked")
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ranked.c.event_id,
                ranked.c.channel_id,
                channel.user_id,
                ranked.c.attempts,
                channel.url,
                event.symbol,
                event.kind,
                event.threshold,
                event.price,
                event.note,
            )
            .join(events, event.id == ranked.c.event_id)
            .join(channels, channel.id == ranked.c.channel_id)
            .where(ranked.c.turn <= BATCH_PER_CHANNEL)
            .order_by(ranked.c.turn, ranked.c.next_attempt_at)
            .limit(BATCH)
        ).all()
    return [
        _Due(row.event_id, row.channel_id, row.user_id, row.attempts, row.url, *message(row))
        for row in rows
    ]


def _key(item: _Due):
    return (col(AlertDelivery.event_id) == item.event_id) & (
        col(AlertDelivery.channel_id) == item.channel_id
    )


def _delivered(engine: Engine, item: _Due, moment: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(AlertDelivery)
            .where(_key(item))
            .values(state="delivered", attempts=item.attempts + 1, delivered_at=moment)
        )


def _failed(engine: Engine, item: _Due, reason: str, moment: datetime) -> None:
    attempts = item.attempts + 1
    wait_for = growing_wait(attempts, *RETRY_WAITS, factor=3)
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
