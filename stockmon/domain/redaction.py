"""Keeps secrets out of logs: every log record, from any logger, is redacted as it is made.

``redact`` scrubs one text; ``install`` wraps the logging record factory once, so messages,
their arguments and the tracebacks attached to them never carry a registered secret or an
``apikey=`` query value, whichever handler writes them. Inside ``foreign_records_withheld``
(a notification being parsed or sent), a thread's records from other libraries' loggers say
only that they were withheld: Apprise, requests and urllib3 log the URL, its host and its
headers, any part of which may be a person's secret.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_APIKEY_IN_URL = re.compile(r"(apikey=)[^&\s'\"]+", re.IGNORECASE)
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False
_withholding = threading.local()
OWN_LOGGERS = "stockmon"


def add_secret(secret: str) -> None:
    """Redact ``secret`` from every log record from now on."""
    if secret:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """``text`` with every registered secret (and any ``apikey=`` value) replaced by ``***``."""
    for secret in tuple(_secrets):
        text = text.replace(secret, "***")
    return _APIKEY_IN_URL.sub(r"\1***", text)


def brief(text: str, limit: int = 200) -> str:
    """``text`` redacted, on one printable line, and cut at a word to at most ``limit``
    characters (an ellipsis marks the cut): how any outside text is quoted to a person."""
    words = " ".join("".join(ch if ch.isprintable() else " " for ch in redact(text)).split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut).rstrip(" ,.;:") + "…"


_formatter = logging.Formatter()


@contextmanager
def foreign_records_withheld() -> Iterator[None]:
    """Within the block, this thread's records from loggers outside stockmon's are withheld."""
    _withholding.on = True
    try:
        yield
    finally:
        _withholding.on = False


def _withhold(record: logging.LogRecord) -> logging.LogRecord:
    record.msg = f"(a line of {record.name} withheld: it may quote a notification URL)"
    record.args = record.exc_info = record.exc_text = record.stack_info = None
    return record


def _redacted_record(factory):
    def make(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if getattr(_withholding, "on", False) and not record.name.startswith(OWN_LOGGERS):
            return _withhold(record)
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string: keep the raw parts, redacted
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(_formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    return make


def install() -> None:
    """Redact every log record made in this process (idempotent)."""
    global _installed
    with _lock:
        if not _installed:
            logging.setLogRecordFactory(_redacted_record(logging.getLogRecordFactory()))
            _installed = True


install()
