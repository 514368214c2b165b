"""Finding symbols beyond the catalog, as the app sees it.

A person's search is written down (``symbol_searches``) for the leading scheduler, which asks
the provider (Alpha Vantage ``SYMBOL_SEARCH``, counted in the request budget like every
request; or the demo market's own listings) and adds what it finds to the catalog, for
everyone (``discovery``). The app then finds the matches in the catalog. The same words
searched again within a week cost no request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, case, func, or_, select
from sqlmodel import col

from stockmon.domain.catalog import EXACT_SYMBOL, NAME_HOLDS, SYMBOL_PREFIX
from stockmon.domain.errors import StockmonError
from stockmon.domain.models import Symbol, SymbolSearch, table_of

SEARCH_KEPT = timedelta(days=7)  # an answered search is not sent again within this
MAX_KEYWORDS = 40
MAX_MATCHES = 25  # the picker's list; a provider's own search answers fewer


class SearchError(StockmonError):
    """Words that cannot be searched; the message says why."""


@dataclass(frozen=True)
class SearchState:
    id: int
    keywords: str
    answered: bool
    error: str | None  # why the provider could not answer
    found: int | None  # listings the answer held


def clean_keywords(raw: str) -> str:
    """The words to search, spaces collapsed; refused when empty, too long or not text."""
    words = " ".join(str(raw).split())
    if not words:
        raise SearchError("Type a symbol or a company name to search for.")
    if len(words) > MAX_KEYWORDS:
        raise SearchError(f"Search with at most {MAX_KEYWORDS} characters.")
    if not words.isprintable():
        raise SearchError("Search words cannot hold control characters.")
    return words


def _state(row) -> SearchState:
    return SearchState(row.id, row.keywords, row.answered_at is not None, row.error, row.found)


def request_search(engine: Engine, raw: str, now: datetime) -> SearchState:
    """The search for ``raw``: one still waiting, or answered well within ``SEARCH_KEPT``, is
    reused (no new request); otherwise a new one is written down for the scheduler."""
    keywords = clean_keywords(raw)
    table = table_of(SymbolSearch)
    with engine.begin() as conn:
        reusable = conn.execute(
            select(table)
            .where(
                func.lower(table.c.keywords) == keywords.lower(),
                or_(
                    table.c.answered_at.is_(None),
                    (table.c.answered_at > now - SEARCH_KEPT) & table.c.error.is_(None),
                ),
            )
            .order_by(table.c.id.desc())
            .limit(1)
        ).first()
        if reusable is not None:
            return _state(reusable)
        search_id = conn.execute(
            table.insert().values(keywords=keywords, requested_at=now).returning(table.c.id)
        ).scalar_one()
    return SearchState(search_id, keywords, answered=False, error=None, found=None)


def search_state(engine: Engine, search_id: int) -> SearchState | None:
    table = table_of(SymbolSearch)
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == search_id)).first()
    return None if row is None else _state(row)


def find_listings(engine: Engine, raw: str) -> pd.DataFrame:
    """Catalog listings matching the words: the exact symbol first, then symbols starting
    with them, then names holding them. Columns symbol, name, region, currency."""
    words = clean_keywords(raw)
    symbol = words.upper()
    pattern = "%" + words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rank = case(
        (col(Symbol.symbol) == symbol, EXACT_SYMBOL),
        (col(Symbol.symbol).startswith(symbol, autoescape=True), SYMBOL_PREFIX),
        else_=NAME_HOLDS,
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                col(Symbol.symbol),
                col(Symbol.name),
                func.coalesce(col(Symbol.region), col(Symbol.exchange)),
                col(Symbol.currency),
            )
            .where(
                or_(
                    col(Symbol.symbol).startswith(symbol, autoescape=True),
                    func.lower(col(Symbol.name)).like(pattern + "%", escape="\\"),
                )
            )
            .order_by(rank, col(Symbol.symbol))
            .limit(MAX_MATCHES)
        ).all()
    return pd.DataFrame(rows, columns=["symbol", "name", "region", "currency"])
