"""What every HTTP provider sends through: a session whose adapter asks the request gate before
each request goes on the wire, spacing between requests, and the wait a rate-limit answer asks.

The gate is called for the first try and each retry alike, so every request is recorded in the
budget before it leaves the process, and a gate that says no stops it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter

from stockmon.domain import redaction
from stockmon.domain.backoff import growing_wait
from stockmon.providers.base import BudgetExhausted, ProviderError, RequestGate

RETRY_STATUSES = frozenset({500, 502, 503, 504})
TOO_MANY_REQUESTS_BACKOFF = timedelta(minutes=1)  # a 429 that says nothing usable
RETRY_WAIT_LONGEST = timedelta(seconds=30)  # between two tries of one request
Answer = TypeVar("Answer")


class GatedAdapter(HTTPAdapter):
    """An adapter that asks the gate before each request goes on the wire, and never retries
    by itself (retries are the client's, so each one is gated too)."""

    def __init__(self, gate: RequestGate) -> None:
        super().__init__(max_retries=0)
        self._gate = gate

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any):
        self._gate()
        return super().send(request, *args, **kwargs)


def gated_session(gate: RequestGate) -> requests.Session:
    session = requests.Session()
    adapter = GatedAdapter(gate)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def retry_after(response: requests.Response, now: datetime) -> timedelta:
    """The wait a 429 asks for: ``Retry-After`` in seconds or as an HTTP date, else an
    ``X-Ratelimit-Reset`` epoch second, else a minute."""
    raw = response.headers.get("Retry-After", "").strip()
    if raw.isdigit():
        return timedelta(seconds=int(raw))
    if raw:
        try:
            until = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return TOO_MANY_REQUESTS_BACKOFF
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return max(until - now, timedelta(0))
    reset = response.headers.get("X-Ratelimit-Reset", "").strip()
    if reset.isdigit():
        wait = datetime.fromtimestamp(int(reset), UTC) - now
        if timedelta(0) <= wait <= timedelta(hours=1):  # a reset an hour away is not one
            return wait
    return TOO_MANY_REQUESTS_BACKOFF


class Spacing:
    """Requests at least ``interval`` seconds apart, across the scheduler's threads, and none
    before a pause a provider asked for has passed."""

    def __init__(
        self,
        interval: float,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._last: float | None = None
        self._paused_until = -float("inf")
        self._one_at_a_time = threading.Lock()

    def pause(self, seconds: float) -> None:
        """Whichever request comes next waits ``seconds`` from now."""
        self._paused_until = self._monotonic() + seconds

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the turn to send one request, once the spacing allows it."""
        with self._one_at_a_time:
            now = self._monotonic()
            earliest = self._paused_until
            if self._last is not None:
                earliest = max(earliest, self._last + self._interval)
            if (wait := earliest - now) > 0:
                self._sleep(wait)
                now += wait
            self._last = now
            yield


class Retryable(ProviderError):
    """A failure that says nothing about the symbol: worth one more (gated) try."""


def get(
    session: requests.Session,
    spacing: Spacing,
    url: str,
    params: dict[str, str],
    timeout: float,
) -> requests.Response:
    """One GET in its turn; a failure on the way in words (``Retryable`` for a dropped
    connection)."""
    try:
        with spacing.turn():
            return session.get(url, params=params, timeout=timeout)
    except requests.Timeout:
        raise ProviderError(f"no answer within {timeout:g} s") from None
    except requests.ConnectionError as error:
        raise Retryable(f"connection failed: {short(error)}") from None
    except requests.RequestException as error:
        raise ProviderError(f"request failed: {short(error)}") from None


def json_object(response: requests.Response) -> dict[str, Any]:
    """The answer's JSON object, or a ``ProviderError`` saying what came instead."""
    try:
        body = response.json()
    except ValueError:
        kind = response.headers.get("Content-Type", "unknown type").split(";")[0]
        raise ProviderError(
            f"answer is not JSON ({redaction.redact(kind)[:40]}, {len(response.content)} bytes)"
        ) from None
    if not isinstance(body, dict):
        raise ProviderError(f"answer is JSON {type(body).__name__}, not an object")
    return body


def with_retries(
    send: Callable[[], Answer],
    retries: int,
    first_wait: timedelta,
    sleep: Callable[[float], None],
) -> Answer:
    """``send()``'s answer, after at most ``retries`` more tries of a ``Retryable`` failure,
    the waits growing from ``first_wait``. Each try passes the gate: a gate that refuses a
    retry ends the request with the failure that called for it."""
    failure = ""
    for attempt in range(retries + 1):
        if attempt:
            sleep(growing_wait(attempt, first_wait, RETRY_WAIT_LONGEST).total_seconds())
        try:
            return send()
        except Retryable as error:
            failure = str(error)
        except BudgetExhausted:
            if not attempt:
                raise
            raise ProviderError(f"{failure}; no budget left to retry") from None
    raise ProviderError(failure)


def field_text(fields: Mapping[str, Any], key: str, length: int) -> str:
    """A text field of an answer, as stored: redacted, printable, at most ``length``
    characters ("" when absent or null)."""
    return redaction.brief(str(fields.get(key) or ""), length)


def short(error: Exception) -> str:
    """An exception in a few redacted words."""
    return redaction.brief(f"{type(error).__name__}: {error}")
