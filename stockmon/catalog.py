"""The symbol catalog shipped with stockmon: what the picker offers, where the demo starts."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from stockmon.models import Symbol


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
def load_catalog() -> tuple[CatalogEntry, ...]:
    """The rows of ``stockmon/data/symbols.csv``."""
    source = resources.files("stockmon.data").joinpath("symbols.csv")
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
