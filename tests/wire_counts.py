"""What the fake providers count on the wire, shared by both: seeded failures and requests
over a rate limit."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Mapping


def fails_at_random(seed: int, subject: str, nth: int, rate: float) -> bool:
    """Whether the ``nth`` request for ``subject`` is one of the ``rate`` share answered HTTP
    5xx: drawn from the seed, the subject and ``nth`` alone, so a seed fails the same requests
    whatever order they arrive in, and a model can replay the same losses."""
    return random.Random(f"{seed}/{subject}/{nth}").random() < rate


def requests_over(arrivals: Iterable[float], limits: Mapping[float, int]) -> int:
    """Requests that arrived with more than ``limit`` requests (itself included) in the
    ``window`` seconds up to it, for any ``window: limit`` of ``limits`` (a limit of 0: none)."""
    times = sorted(arrivals)
    over = 0
    for index, at in enumerate(times):
        over += any(
            limit and index - bisect.bisect_right(times, at - window) + 1 > limit
            for window, limit in limits.items()
        )
    return over
