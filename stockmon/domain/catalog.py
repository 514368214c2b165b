"""The symbol catalog shipped with stockmon: what the picker offers, where the demo starts."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from stockmon.domain.models import Symbol


@dataclass(frozen=True)
class Listing:
    """One listing a symbol search found."""

    symbol: str
    name: str
    kind: str  # Equity, ETF, ...
    region: str
    currency: str
    market_open: str  # local time, "09:30"
    market_close: str
    timezone: str  # as the provider says it: "UTC-04"


@dataclass(frozen=True)
class CatalogEntry:
    symbol: str
    name: str
    exchange: str
    currency: str
    reference_price: float

    def to_model(self) -> Symbol:
        return Symbol(
            symbol=self.symbol, name=self.name, exchange=self.exchange, currency=self.currency
        )


@cache
def demo_listings() -> tuple[tuple[Listing, float], ...]:
    """What the demo market lists, each with its reference price: the catalog (US equities)
    and ``stockmon/domain/data/listings.csv``, listings beyond it that a search can find."""
    listed = [
        (Listing(e.symbol, e.name, "Equity", "United States", e.currency, "09:30", "16:00",
                 "UTC-05"), e.reference_price)
        for e in load_catalog()
    ]  # fmt: skip
    source = resources.files("stockmon.domain.data").joinpath("listings.csv")
    with source.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            price = float(row.pop("reference_price"))
            listed.append((Listing(**{"kind": row.pop("type"), **row}), price))
    return tuple(listed)


EXACT_SYMBOL, SYMBOL_PREFIX, NAME_HOLDS = 0, 1, 2
"""How a listing matches search words, best first; ties by symbol. The catalog's SQL search
(``search.find_listings``) ranks by the same three."""


def match_rank(words: str, symbol: str, name: str) -> int | None:
    """How ``symbol`` / ``name`` match ``words`` (None: they do not), case aside."""
    words, symbol = words.strip().lower(), symbol.lower()
    if symbol == words:
        return EXACT_SYMBOL
    if symbol.startswith(words):
        return SYMBOL_PREFIX
    return NAME_HOLDS if words in name.lower() else None


def match_listings(keywords: str, listings: Iterable[Listing], limit: int) -> list[Listing]:
    """The ``limit`` best listings matching the words, best first."""
    ranked = [
        (rank, listing.symbol, listing)
        for listing in listings
        if (rank := match_rank(keywords, listing.symbol, listing.name)) is not None
    ]
    return [listing for *_order, listing in sorted(ranked, key=lambda r: r[:2])[:limit]]


@cache
def load_catalog() -> tuple[CatalogEntry, ...]:
    """The rows of ``stockmon/domain/data/symbols.csv``."""
    source = resources.files("stockmon.domain.data").joinpath("symbols.csv")
    with source.open(encoding="utf-8") as f:
        return tuple(
            CatalogEntry(
                symbol=row["symbol"],
                name=row["name"],
                exchange=row["exchange"],
                currency=row["currency"],
                reference_price=float(row["reference_price"]),
            )
            for row in csv.DictReader(f)
        )
