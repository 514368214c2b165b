"""Gains on what people hold and sold: sales matched to lots first in, first out, the open
positions valued at the latest quotes, and the portfolio's value over time.

Amounts are in each listing's currency and are only ever added up within one currency: totals
come per currency, never as one sum over dollars and pounds. A lot's cost per share is its
price plus its fees spread over its shares; a sale's proceeds are its price times its shares
less its fees.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from stockmon.domain.export import csv_text

# Shares left below this after a sale are rounding, not a holding.
NO_SHARES = 1e-9

POSITION_COLUMNS = [
    "symbol", "currency", "quantity", "cost", "price", "market_value", "day_gain", "total_gain",
    "total_gain_percent", "realised_gain",
]  # fmt: skip
REALISED_COLUMNS = [
    "id", "symbol", "currency", "sold_on", "quantity", "proceeds", "cost", "gain", "unmatched",
]  # fmt: skip
USED_COLUMNS = ["lot_id", "sold_on", "quantity"]
TOTAL_COLUMNS = ["market_value", "cost", "day_gain", "total_gain", "realised_gain"]


@dataclass(frozen=True)
class Book:
    """A person's lots and sales, as stored (``positions.book_of``)."""

    lots: pd.DataFrame  # id, symbol, bought_on, quantity, price, fees
    sales: pd.DataFrame  # id, symbol, sold_on, quantity, price, fees

    @property
    def empty(self) -> bool:
        return self.lots.empty and self.sales.empty


@dataclass(frozen=True)
class Matched:
    """Sales matched to lots: what each lot still holds, what each sale gained, and how many
    shares each sale took from each lot."""

    open_lots: pd.DataFrame  # the lots' columns, quantity and cost for the shares still held
    realised: pd.DataFrame  # REALISED_COLUMNS, one row per sale
    used: pd.DataFrame  # USED_COLUMNS

    def oversold(self) -> pd.DataFrame:
        """The sales that sold more shares than were held on their day."""
        return self.realised[self.realised["unmatched"] > NO_SHARES]


def match_fifo(book: Book, currencies: dict[str, str] | None = None) -> Matched:
    """Each sale, oldest first, sells the oldest shares bought on or before its day. A sale
    with too few shares behind it keeps the rest ``unmatched``; the writers refuse such a sale,
    so only a book edited by two tabs at once can hold one."""
    lots = book.lots.sort_values(["bought_on", "id"], kind="stable")
    left = {int(lot.id): float(lot.quantity) for lot in lots.itertuples()}
    unit_cost = {
        int(lot.id): float(lot.price) + float(lot.fees) / float(lot.quantity)
        for lot in lots.itertuples()
    }
    oldest_first: dict[str, list] = {}  # each symbol's lots, one pass over them
    for lot in lots.itertuples():
        oldest_first.setdefault(lot.symbol, []).append(lot)
    realised, used = [], []
    for sale in book.sales.sort_values(["sold_on", "id"], kind="stable").itertuples():
        wanted, cost = float(sale.quantity), 0.0
        for lot in oldest_first.get(sale.symbol, []):
            if lot.bought_on > sale.sold_on:
                break
            taken = min(wanted, left[int(lot.id)])
            if taken <= NO_SHARES:
                continue
            left[int(lot.id)] -= taken
            wanted -= taken
            cost += taken * unit_cost[int(lot.id)]
            used.append((int(lot.id), sale.sold_on, taken))
            if wanted <= NO_SHARES:
                break
        unmatched = max(wanted, 0.0)
        proceeds = (float(sale.quantity) - unmatched) * float(sale.price) - float(sale.fees)
        currency = (currencies or {}).get(sale.symbol, "USD")
        realised.append(
            (int(sale.id), sale.symbol, currency, sale.sold_on, float(sale.quantity),
             proceeds, cost, proceeds - cost, unmatched)
        )  # fmt: skip
    open_lots = lots.assign(quantity=[left[int(i)] for i in lots["id"]])
    open_lots = open_lots[open_lots["quantity"] > NO_SHARES]
    open_lots = open_lots.assign(
        cost=[
            q * unit_cost[int(i)]
            for i, q in zip(open_lots["id"], open_lots["quantity"], strict=True)
        ]
    )
    return Matched(
        open_lots,
        pd.DataFrame(realised, columns=REALISED_COLUMNS),
        pd.DataFrame(used, columns=USED_COLUMNS),
    )


@dataclass(frozen=True)
class Holdings:
    """Positions per symbol at the latest quotes, the sales' realised gains, and their totals
    per currency."""

    positions: pd.DataFrame  # POSITION_COLUMNS, one row per symbol still held
    realised: pd.DataFrame  # REALISED_COLUMNS, one row per sale
    totals: pd.DataFrame  # per currency: TOTAL_COLUMNS and total_gain_percent

    def csv(self) -> str:
        """The positions as a CSV file, amounts unrounded, each with its currency."""
        return csv_text(self.positions)


def holdings(book: Book, quotes: pd.DataFrame, currencies: dict[str, str]) -> Holdings:
    """Each held symbol's quantity, cost of the shares still held (price paid plus fees),
    market value, day's gain (quantity x today's change), unrealised gain and its percentage
    of the cost, and the gain its sales realised; ``quotes`` has symbol, price and change. A
    symbol without a quote has no value yet (NaN), and counts in no unrealised total."""
    matched = match_fifo(book, currencies)
    realised_by_symbol = matched.realised.groupby("symbol")["gain"].sum()
    lots = matched.open_lots
    if lots.empty:
        positions = pd.DataFrame(columns=POSITION_COLUMNS)
    else:
        table = lots.groupby("symbol", sort=False)[["quantity", "cost"]].sum().reset_index()
        table = table.join(quotes.set_index("symbol")[["price", "change"]], on="symbol")
        table["currency"] = [currencies.get(s, "USD") for s in table["symbol"]]
        table["market_value"] = table["quantity"] * table["price"]
        table["day_gain"] = table["quantity"] * table["change"]
        table["total_gain"] = table["market_value"] - table["cost"]
        table["total_gain_percent"] = (
            table["total_gain"] / table["cost"].where(table["cost"] > 0) * 100
        )
        table["realised_gain"] = table["symbol"].map(realised_by_symbol).fillna(0.0)
        positions = table[POSITION_COLUMNS]
    return Holdings(positions, matched.realised, _totals(positions, matched.realised))


def _totals(positions: pd.DataFrame, realised: pd.DataFrame) -> pd.DataFrame:
    valued = positions.dropna(subset=["market_value"])
    open_sums = (
        valued.groupby("currency")[TOTAL_COLUMNS[:4]].sum()
        if not valued.empty
        else pd.DataFrame(columns=TOTAL_COLUMNS[:4])
    )
    realised_sums = realised.groupby("currency")["gain"].sum().rename("realised_gain")
    sums = open_sums.join(realised_sums, how="outer").fillna(0.0)
    sums = sums.rename_axis("currency").reset_index()
    if sums.empty:
        return pd.DataFrame(columns=["currency", *TOTAL_COLUMNS, "total_gain_percent"])
    sums["total_gain_percent"] = sums["total_gain"] / sums["cost"].where(sums["cost"] > 0) * 100
    return sums[["currency", *TOTAL_COLUMNS, "total_gain_percent"]]


def portfolio_history(
    book: Book, history: pd.DataFrame, currencies: dict[str, str]
) -> pd.DataFrame:
    """The value of what was held at each time of ``history`` (symbol, ts, price), per
    currency: columns ts, currency, value. A lot counts from the day it was bought, less what
    sales took from it from their day on; a symbol counts from its first price in the range."""
    lots = book.lots
    if lots.empty or history.empty:
        return pd.DataFrame(columns=["ts", "currency", "value"])
    used = match_fifo(book).used
    prices = history.pivot_table(index="ts", columns="symbol", values="price").sort_index().ffill()
    days = prices.index.date
    frames = []
    for currency in sorted({currencies.get(s, "USD") for s in lots["symbol"]}):
        total = pd.Series(0.0, index=prices.index)
        counted = pd.Series(False, index=prices.index)
        for lot in lots.itertuples():
            if currencies.get(lot.symbol, "USD") != currency or lot.symbol not in prices:
                continue
            shares = pd.Series(float(lot.quantity), index=prices.index).where(
                days >= lot.bought_on, 0.0
            )
            for sale in used[used["lot_id"] == lot.id].itertuples():
                shares -= pd.Series(days >= sale.sold_on, index=prices.index) * sale.quantity
            held = pd.Series(days >= lot.bought_on, index=prices.index)
            price = prices[lot.symbol]
            total += (price * shares).where(held & price.notna(), 0.0)
            counted |= held & price.notna()
        frames.append(
            pd.DataFrame({"ts": prices.index, "currency": currency, "value": total})[counted.values]
        )
    return pd.concat(frames, ignore_index=True)
