"""One growing wait for every retry: failing and rejected symbols, alert deliveries, and a
provider's retried request."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from stockmon.domain.backoff import growing_wait
from stockmon.scheduler.delivery import RETRY_WAITS
from stockmon.scheduler.pacing import FAILED_BACKOFF, REJECTED_BACKOFF, failure_backoff

MINUTE = timedelta(minutes=1)


def test_a_wait_grows_by_its_factor_up_to_its_longest():
    assert [growing_wait(n, *FAILED_BACKOFF) for n in (1, 2, 3, 5, 6, 50)] == [
        MINUTE, 2 * MINUTE, 4 * MINUTE, 16 * MINUTE, 30 * MINUTE, 30 * MINUTE,
    ]  # fmt: skip
    assert [growing_wait(n, *RETRY_WAITS, factor=3) for n in (1, 2, 3, 4, 5)] == [
        timedelta(seconds=s) for s in (10, 30, 90, 270, 600)
    ]
    assert growing_wait(10**6, *REJECTED_BACKOFF, factor=3) == timedelta(hours=24)  # no overflow
    assert growing_wait(0, *FAILED_BACKOFF) == MINUTE


def test_a_paced_symbol_backs_off_one_interval_doubling_to_two():
    interval, slot = timedelta(hours=1), timedelta(minutes=10)
    waits = [failure_backoff(n, interval, slot, answered_before=True) for n in range(1, 9)]
    assert waits[:4] == [5 * MINUTE] * 4  # half a slot: due again at the next one
    assert waits[4:] == [interval, 2 * interval, 2 * interval, 2 * interval]


def test_no_module_grows_a_wait_of_its_own():
    root = Path(__file__).resolve().parent.parent / "stockmon"
    own = re.compile(r"\*\*\s*\(?\s*(min\()?\s*(attempt|failures)")
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if path.name != "backoff.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if own.search(line)
    ]
    assert found == []
