"""Every answer Alpha Vantage gives, replayed: its class and what the client does with it."""

import pytest

from stockmon.providers.answers import AnswerClass, classify
from tests.fake_alphavantage import (
    BAD_KEY,
    BURST,
    INFORMATION,
    INVALID_CALL,
    NOTE,
    PREMIUM,
    bulk_row,
    daily_limit_quoting,
    global_quote,
)

KEY = "REPLAYEDKEY42"
QUOTE = AnswerClass.QUOTE

REPLAYED = [
    ({"Note": NOTE}, AnswerClass.PER_MINUTE_LIMIT, AnswerClass.PER_MINUTE_LIMIT),
    ({"Information": INFORMATION}, AnswerClass.DAILY_LIMIT, AnswerClass.DAILY_LIMIT),
    ({"Information": daily_limit_quoting(KEY)}, AnswerClass.DAILY_LIMIT, AnswerClass.DAILY_LIMIT),
    ({"Note": daily_limit_quoting(KEY)}, AnswerClass.DAILY_LIMIT, AnswerClass.DAILY_LIMIT),
    ({"Information": BURST}, AnswerClass.BURST_LIMIT, AnswerClass.BURST_LIMIT),
    ({"Information": PREMIUM}, AnswerClass.PREMIUM_ONLY, AnswerClass.PREMIUM_ONLY),
    ({"Information": "Something new."}, AnswerClass.UNKNOWN_LIMIT, AnswerClass.UNKNOWN_LIMIT),
    ({"Error Message": BAD_KEY}, AnswerClass.INVALID_KEY, AnswerClass.INVALID_KEY),
    ({"Error Message": INVALID_CALL}, AnswerClass.INVALID_SYMBOL, AnswerClass.INVALID_CALL),
    ({"Global Quote": {}}, AnswerClass.EMPTY_QUOTE, AnswerClass.MALFORMED),
    ({"Global Quote": "oops"}, AnswerClass.MALFORMED, AnswerClass.MALFORMED),
    (global_quote("MSFT"), QUOTE, AnswerClass.MALFORMED),
    (
        {"endpoint": "Realtime Bulk Quotes", "message": "success", "data": [bulk_row("A", 1)]},
        AnswerClass.MALFORMED,
        QUOTE,
    ),
    (
        {"message": "This is a premium endpoint; sample data below.", "data": []},
        AnswerClass.MALFORMED,
        AnswerClass.PREMIUM_ONLY,
    ),
    ({"message": "success", "data": "none"}, AnswerClass.MALFORMED, AnswerClass.MALFORMED),
]


@pytest.mark.parametrize(("body", "single", "bulk"), REPLAYED)
def test_each_answer_has_one_class(body, single, bulk):
    assert classify(body, "GLOBAL_QUOTE").kind is single
    assert classify(body, "REALTIME_BULK_QUOTES").kind is bulk


def test_answer_texts_are_redacted():
    from stockmon.domain.redaction import add_secret

    add_secret(KEY)
    answer = classify({"Information": daily_limit_quoting(KEY)})
    assert KEY not in answer.text and "***" in answer.text
