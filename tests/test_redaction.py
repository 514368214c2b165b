"""No log record carries the API key: messages, arguments and tracebacks, from any logger."""

import io
import logging

from stockmon.domain import redaction

KEY = "SECRETKEY-9f8e7d"


def test_every_record_is_redacted_whatever_logs_it():
    redaction.add_secret(KEY)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("some.library.nobody.configured")
    logger.addHandler(handler)
    try:
        logger.warning("answer: %s", {"Information": f"We have detected your API key as {KEY}"})
        logger.error(f"url https://example.test/query?apikey={KEY}&symbol=IBM")
        try:
            raise RuntimeError(f"failed with {KEY}")
        except RuntimeError:
            logger.exception("cycle failed")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert KEY not in written
    assert written.count("***") >= 3
    assert "RuntimeError: failed with ***" in written  # the traceback is kept, redacted


def test_redact_hides_registered_secrets_and_any_apikey_value():
    redaction.add_secret(KEY)
    assert redaction.redact(f"{KEY} and apikey=other-value&x=1") == "*** and apikey=***&x=1"


def test_brief_cuts_at_a_word_and_says_so():
    text = "Thank you for using the service! Subscribe to instantly unlock all premium endpoints"
    assert redaction.brief(text, 40) == "Thank you for using the service!…"
    assert redaction.brief("short enough") == "short enough"
    assert redaction.brief("a" * 50, 10) == "a" * 9 + "…"  # one long word is cut where it must be
    assert redaction.brief("line one\nline\x1b[31m two\x00", 100) == "line one line [31m two"
    redaction.add_secret("s3cret-value")
    assert redaction.brief("key s3cret-value leaked") == "key *** leaked"
