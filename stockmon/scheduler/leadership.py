"""One scheduler leads per database: a lease row with an expiry and a fencing token.

The leader renews its lease before every cycle and, through ``fence``, inside every transaction
that spends budget or stores quotes: a write whose lease is gone (expired, or taken over with a
higher token) is refused with ``LeadershipLost`` and rolled back, so a deposed or frozen leader
can never spend the budget or overwrite what its successor stored. A standby takes over a lease
that has run out. Times are the scheduler hosts' UTC clocks: keep them in sync (NTP); the token
keeps writes safe even when they drift.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, and_, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col

from stockmon.domain import db_trouble
from stockmon.domain.models import LeaderLease, table_of, utcnow

log = logging.getLogger(__name__)

SCHEDULER = "scheduler"
HELD_ELSEWHERE = "the lease is held by another scheduler"

Fence = Callable[[Connection], int]
"""Renews the scheduler's lease inside a write transaction and returns its token, or raises."""


@contextmanager
def fenced(engine: Engine, fence: Fence | None) -> Iterator[Connection]:
    """A write transaction that first renews the lease through ``fence``, so a deposed leader's
    write is refused before it starts (no fence: a tool or test writing on its own)."""
    with engine.begin() as conn:
        if fence is not None:
            fence(conn)
        yield conn


class LeadershipLost(Exception):
    """This process no longer holds the lease: stop spending and stand by."""


def holder_name() -> str:
    """Who this process is, for the lease and the status page: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    def __init__(
        self,
        engine: Engine,
        ttl: timedelta,
        *,
        name: str = SCHEDULER,
        holder: str | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self.ttl = ttl
        self.name = name
        self.holder = holder or holder_name()
        self._now = now
        self.token: int | None = None  # set while this process leads
        self.standing_by_because: str | None = None  # why it does not, when it does not
        self._acquiring = threading.Lock()

    @property
    def leading(self) -> bool:
        return self.token is not None

    def try_acquire(self) -> bool:
        """Renew the lease this process holds, or take a free or expired one. True: we lead."""
        with self._acquiring:  # the lease job and the cycle job may ask at the same moment
            return self._try_acquire()

    def _try_acquire(self) -> bool:
        now = self._now()
        table = table_of(LeaderLease)
        try:
            with self._engine.begin() as conn:
                _short_lock_wait(conn)
                if self.token is not None and self._renew(conn, now):
                    return True
                taken = conn.execute(
                    update(table)
                    .where(
                        table.c.name == self.name,
                        (table.c.expires_at <= now) | (table.c.holder == self.holder),
                    )
                    .values(
                        holder=self.holder,
                        token=table.c.token + 1,
                        expires_at=now + self.ttl,
                    )
                ).rowcount
                if not taken:
                    try:
                        with conn.begin_nested():
                            conn.execute(
                                insert(table).values(
                                    name=self.name,
                                    holder=self.holder,
                                    token=1,
                                    expires_at=now + self.ttl,
                                )
                            )
                    except IntegrityError:  # somebody holds it
                        self._step_down(HELD_ELSEWHERE)
                        return False
                token = conn.execute(
                    select(table.c.token).where(table.c.name == self.name)
                ).scalar_one()
        except OperationalError as error:  # the database is away: we cannot know, so we do not lead
            trouble = db_trouble.sentence(error, self._engine)
            self._step_down(f"{trouble} ({type(error.orig).__name__})")
            return False
        if self.token != token:
            log.info("leading the refresh cycles (%s, lease token %s)", self.holder, token)
        self.token = token
        self.standing_by_because = None
        return True

    def fence(self, conn: Connection) -> int:
        """Inside a write transaction: renew the lease or raise ``LeadershipLost``.

        Returns the lease token, to be stored with what the transaction writes.
        """
        if self.token is None or not self._renew(conn, self._now()):
            self._step_down("the lease was lost")
            raise LeadershipLost(f"{self.holder} no longer holds the {self.name!r} lease")
        return self.token

    def release(self) -> None:
        """Give the lease up at once (on shutdown), so a standby need not wait for it to run out."""
        if self.token is None:
            return
        with self._engine.begin() as conn:
            conn.execute(update(LeaderLease).where(self._ours()).values(expires_at=self._now()))
        self.token = None

    def _ours(self) -> ColumnElement[bool]:
        """The lease row as this process last held it."""
        table = table_of(LeaderLease)
        return and_(
            table.c.name == self.name, table.c.holder == self.holder, table.c.token == self.token
        )

    def _renew(self, conn: Connection, now: datetime) -> bool:
        renewal = (
            update(LeaderLease)
            .where(self._ours(), col(LeaderLease.expires_at) > now)
            .values(expires_at=now + self.ttl)
        )
        return bool(conn.execute(renewal).rowcount)

    def _step_down(self, reason: str) -> None:
        """Stand by, saying why when that is news (not leading is, the first time)."""
        if self.token is not None:
            log.warning("stepping down to standby: %s", reason)
        elif reason != self.standing_by_because and reason != HELD_ELSEWHERE:
            log.warning("standing by: %s", reason)
        self.token = None
        self.standing_by_because = reason


def _short_lock_wait(conn: Connection) -> None:
    # A leader frozen inside a transaction holds the lease row; a standby must not hang on it.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL lock_timeout = '2s'"))


def current_holder(
    engine: Engine, name: str = SCHEDULER, now: datetime | None = None
) -> tuple[str, datetime] | None:
    """The holder of an unexpired lease and when it runs out, or None."""
    table = table_of(LeaderLease)
    with engine.connect() as conn:
        row = conn.execute(
            select(table.c.holder, table.c.expires_at).where(table.c.name == name)
        ).one_or_none()
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row.holder, row.expires_at
