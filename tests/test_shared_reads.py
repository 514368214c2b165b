"""Open dashboards share one snapshot per refresh period: the quote reads do not multiply with
sessions, and each person still sees only their own picks."""

import re

import streamlit as st
from sqlalchemy import Engine, event

from stockmon.app import ui
from stockmon.domain import accounts
from stockmon.domain.watchlists import save_picks
from tests.test_app import engine, logged_in_app, seed_quote  # noqa: F401 (fixtures)

PICKS = {
    "ann": ["AAPL", "MSFT"],
    "bob": ["NVDA"],
    "cid": ["TSLA", "AAPL"],
    "dee": ["AMZN"],
    "eva": ["META", "NFLX"],
}


def test_five_dashboards_read_quotes_once_and_see_only_their_picks(engine, monkeypatch):  # noqa: F811
    for username, picks in PICKS.items():
        user = accounts.create_user(
            engine, username, username.title(), f"{username}@example.com", "sup3rsecret"
        )
        save_picks(engine, user.id, picks)
    for symbol in {s for picks in PICKS.values() for s in picks}:
        seed_quote(engine, symbol, 100.0, 99.0)

    monkeypatch.setattr(ui, "refresh_period", lambda: 1)  # all within one refresh period
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    def shared_reads(usernames) -> tuple[int, dict[str, list[str]]]:
        """Statements on quotes and price history while these people open their dashboards."""
        statements.clear()
        tables = {}
        event.listen(Engine, "before_cursor_execute", count)
        try:
            for username in usernames:
                at = logged_in_app(username=username)
                assert not at.exception
                tables[username] = list(at.dataframe[0].value["Symbol"])
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        reads = [s for s in statements if re.search(r"\bFROM (quotes|price_history)\b", s)]
        return len(reads), tables

    one, _ = shared_reads(["ann"])
    st.cache_data.clear()
    five, tables = shared_reads(PICKS)
    assert tables == PICKS  # nobody sees anybody else's rows
    assert 0 < five == one  # read once per refresh period, not once per session
