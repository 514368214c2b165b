"""Named locks across processes' connections, on SQLite and PostgreSQL."""

import threading

import pytest

from stockmon.db import make_engine
from stockmon.locks import LockHeld, exclusive_lock


def test_one_holder_at_a_time(database_url):
    first, second = make_engine(database_url), make_engine(database_url)
    with exclusive_lock(first, "scheduler", wait=False):
        with (
            pytest.raises(LockHeld, match="another stockmon process"),
            exclusive_lock(second, "scheduler", wait=False),
        ):
            pass
        with exclusive_lock(second, "migrate", wait=False):  # other names are independent
            pass
    with exclusive_lock(second, "scheduler", wait=False):  # released on exit
        pass
    first.dispose()
    second.dispose()


def test_a_standby_takes_over_when_the_holder_lets_go(database_url):
    first, second = make_engine(database_url), make_engine(database_url)
    took_over = threading.Event()

    def standby() -> None:
        with exclusive_lock(second, "scheduler", poll_seconds=0.05):
            took_over.set()

    with exclusive_lock(first, "scheduler", wait=False):
        waiter = threading.Thread(target=standby)
        waiter.start()
        assert not took_over.wait(0.3)
    waiter.join(timeout=10)
    assert took_over.is_set()
    first.dispose()
    second.dispose()


def test_a_stopped_standby_gives_up(database_url):
    first, second = make_engine(database_url), make_engine(database_url)
    stop = threading.Event()
    stop.set()
    with (
        exclusive_lock(first, "scheduler", wait=False),
        pytest.raises(LockHeld, match="stopped"),
        exclusive_lock(second, "scheduler", poll_seconds=0.05, stop=stop),
    ):
        pass
    first.dispose()
    second.dispose()
