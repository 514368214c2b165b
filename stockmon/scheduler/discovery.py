"""Answering people's symbol searches, in the scheduler (the app writes them down: ``search``),
and describing the listings they found.

Each search is one provider request, sent through the same gate as quotes, so it is counted in
the budget and refused when the budget is spent; what it finds joins the catalog for everyone.
A search that cannot be answered says why, so nobody waits forever. A provider whose search
answers lack a listing's currency and exchange (Finnhub) is asked for them once a tracked
listing needs them, one request a call, at most daily per listing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update

from stockmon.domain import redaction
from stockmon.domain.db import insert_ignoring_duplicates
from stockmon.domain.models import Symbol, SymbolSearch, table_of
from stockmon.providers.base import (
    BudgetExhausted,
    Listing,
    Paused,
    ProfileProvider,
    ProviderError,
    ProviderUnavailable,
    QuoteProvider,
)
from stockmon.scheduler.leadership import Fence, fenced

log = logging.getLogger(__name__)
SEARCHES_PER_TICK = 3  # a burst of searches waits for the next ticks, not the quotes
PROFILE_RETRY = timedelta(days=1)  # a listing the provider could not describe is asked again


def answer_searches(
    engine: Engine,
    provider: QuoteProvider,
    now: Callable[[], datetime],
    fence: Fence | None = None,
) -> int:
    """Answer the oldest searches still waiting; how many were answered."""
    table = table_of(SymbolSearch)
    with engine.connect() as conn:
        waiting = conn.execute(
            select(table.c.id, table.c.keywords)
            .where(table.c.answered_at.is_(None))
            .order_by(table.c.id)
            .limit(SEARCHES_PER_TICK)
        ).all()
    for search_id, keywords in waiting:
        listings, error = _search(provider, keywords)
        with fenced(engine, fence) as conn:
            if listings:
                insert_ignoring_duplicates(conn, table_of(Symbol), [_row(x) for x in listings])
            conn.execute(
                update(table)
                .where(table.c.id == search_id)
                .values(answered_at=now(), found=len(listings), error=error)
            )
        log.info("search %r: %s", keywords, error or f"{len(listings)} listings")
    return len(waiting)


def _search(provider: QuoteProvider, keywords: str) -> tuple[list[Listing], str | None]:
    """The listings found, or none and the reason in words for the person who searched."""
    try:
        return provider.search(keywords), None
    except BudgetExhausted:
        return [], "No requests are left in the budget right now: try again later."
    except Paused:
        return [], "The quote provider asked to slow down for a moment: try again shortly."
    except ProviderUnavailable as refusal:
        reason = redaction.brief(str(refusal))
        return [], f"The quote provider refuses requests for now ({reason}): try again later."
    except ProviderError as error:
        return [], f"The search failed: {redaction.brief(str(error))}"


def _row(listing: Listing) -> dict[str, str | None]:
    return {
        "symbol": listing.symbol,
        "name": listing.name,
        "exchange": "",
        "currency": listing.currency,
        "kind": listing.kind,
        "region": listing.region,
        "market_open": listing.market_open,
        "market_close": listing.market_close,
        "timezone": listing.timezone,
    }


def describe_listings(
    engine: Engine,
    provider: ProfileProvider,
    symbols: Sequence[str],
    now: Callable[[], datetime],
    fence: Fence | None = None,
) -> str | None:
    """Ask the provider for the name, currency and exchange of the first of ``symbols`` whose
    catalog row has no exchange (a listing a search found) and was not asked in a day; the
    symbol asked, if any."""
    listing = table_of(Symbol).c
    with engine.connect() as conn:
        waiting = set(
            conn.execute(
                select(listing.symbol).where(
                    listing.symbol.in_(list(symbols)),
                    listing.exchange == "",
                    listing.profile_at.is_(None) | (listing.profile_at <= now() - PROFILE_RETRY),
                )
            ).scalars()
        )
    symbol = next((s for s in symbols if s in waiting), None)
    if symbol is None:
        return None
    values: dict[str, object] = {"profile_at": now()}
    try:
        profile = provider.profile(symbol)
    except (BudgetExhausted, ProviderUnavailable, Paused) as refusal:
        log.info("listing profile waits: %s", redaction.brief(str(refusal)))
        return None
    except ProviderError as error:  # asked again in a day; the search's words stay
        log.info("profile of %s: %s", symbol, redaction.brief(str(error)))
    else:
        values |= {
            "name": profile.name,
            "currency": profile.currency,
            "exchange": profile.exchange,
            "region": profile.region,
        }
    with fenced(engine, fence) as conn:
        conn.execute(update(table_of(Symbol)).where(listing.symbol == symbol).values(**values))
    return symbol
