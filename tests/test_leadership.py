"""The scheduler's lease: one leader at a time, fenced writes, takeover after expiry."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from stockmon.domain.db import make_engine
from stockmon.domain.locks import exclusive_lock
from stockmon.domain.models import ApiRequest, SchedulerState
from stockmon.providers.base import BudgetExhausted
from stockmon.scheduler.budget import Limits, RequestBudget
from stockmon.scheduler.leadership import LeadershipLost, Lease, current_holder, fenced

TTL = timedelta(seconds=30)


def test_one_leader_at_a_time(engine, clock):
    first = Lease(engine, TTL, holder="first", now=clock)
    second = Lease(engine, TTL, holder="second", now=clock)
    assert first.try_acquire() and not second.try_acquire()
    assert current_holder(engine, now=clock())[0] == "first"
    clock.advance(seconds=20)
    assert first.try_acquire()  # renewed: runs 30 s from now
    clock.advance(seconds=20)
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire() and not first.try_acquire()


def test_an_expired_lease_is_taken_over_and_the_old_leader_is_fenced_off(engine, clock):
    old = Lease(engine, TTL, holder="old", now=clock)
    new = Lease(engine, TTL, holder="new", now=clock)
    assert old.try_acquire()
    old_budget = RequestBudget(engine, "alphavantage", Limits(5, 25), now=clock, fence=old.fence)
    old_budget.take()
    clock.advance(seconds=31)  # the old leader froze past its lease
    assert new.try_acquire() and new.token == old.token + 1
    with pytest.raises(LeadershipLost):
        old_budget.take()  # its late spending is refused...
    assert not old.leading  # ...and it stands by
    new_budget = RequestBudget(engine, "alphavantage", Limits(5, 25), now=clock, fence=new.fence)
    new_budget.take()
    with engine.connect() as conn:
        tokens = conn.execute(select(ApiRequest.leader_token).order_by(ApiRequest.id)).scalars()
        assert list(tokens) == [1, 2]


def test_a_fenced_write_of_a_deposed_leader_is_refused_and_leaves_nothing(engine, clock):
    old = Lease(engine, TTL, holder="old", now=clock)
    assert old.try_acquire()
    clock.advance(seconds=31)
    assert Lease(engine, TTL, holder="new", now=clock).try_acquire()
    row = {"key": "written", "value": "by the old leader", "updated_at": clock()}
    with pytest.raises(LeadershipLost), fenced(engine, old.fence) as conn:
        conn.execute(SchedulerState.__table__.insert(), row)
    with engine.connect() as conn:
        assert conn.execute(select(SchedulerState.key)).scalars().all() == []


def test_the_gate_refuses_past_the_limit(engine, clock):
    lease = Lease(engine, TTL, now=clock)
    lease.try_acquire()
    budget = RequestBudget(engine, "alphavantage", Limits(2, 25), now=clock, fence=lease.fence)
    budget.take()
    budget.take()
    with pytest.raises(BudgetExhausted):
        budget.take()
    assert budget.remaining() == 0


def test_migrations_are_serialized(database_url):
    first, second = make_engine(database_url), make_engine(database_url)
    entered = threading.Event()

    def other() -> None:
        with exclusive_lock(second, "migrate"):
            entered.set()

    with exclusive_lock(first, "migrate"):
        waiter = threading.Thread(target=other)
        waiter.start()
        assert not entered.wait(0.5)
    waiter.join(timeout=10)
    assert entered.is_set()
    first.dispose()
    second.dispose()
