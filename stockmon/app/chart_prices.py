"""What a chart range draws: one continuous line per symbol, from its daily closes and the
prices the scheduler recorded, so a longer range never shows less than a shorter one.

Short ranges (a few days, a month) draw the recorded prices, led in by the daily closes of the
days before the first of them; long ranges draw daily closes, followed by the prices recorded
since the last bar. "All" is a long range from the first bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine

from stockmon.app.queries import price_history
from stockmon.domain.daily import bars_as_prices, daily_bars

RANGES: dict[str, timedelta | None] = {
    "1 day": timedelta(days=1),
    "5 days": timedelta(days=5),
    "1 month": timedelta(days=30),
    "3 months": timedelta(days=91),
    "6 months": timedelta(days=182),
    "1 year": timedelta(days=365),
    "All": None,
}
DAILY_RANGES = frozenset({"3 months", "6 months", "1 year", "All"})  # daily closes first
_HALF_DAY = pd.Timedelta(hours=12)  # a close stands at midday UTC of its day


def range_prices(
    engine: Engine, symbols: Sequence[str], span: str, now: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the prices of ``span`` as symbol, ts, price; the daily bars in it, for candlesticks)."""
    window = RANGES[span]
    since = None if window is None else now - window
    if span == "1 day":
        return price_history(engine, symbols, since, now), pd.DataFrame()
    bars = daily_bars(engine, symbols, None if since is None else since.date())
    recorded = price_history(engine, symbols, since, now)
    prices = stitched(bars_as_prices(bars), recorded, closes_first=span in DAILY_RANGES)
    return prices, bars


def stitched(closes: pd.DataFrame, recorded: pd.DataFrame, *, closes_first: bool) -> pd.DataFrame:
    """Each symbol's daily ``closes`` and ``recorded`` prices as one line, never two points for
    one stretch of time: ``closes_first`` keeps every close and the prices recorded after the
    day of the last one; otherwise every recorded price and the closes of the days that ended
    before the first of them."""
    parts = []
    for symbol in dict.fromkeys([*closes["symbol"], *recorded["symbol"]]):
        own_closes = closes[closes["symbol"] == symbol]
        own_recorded = recorded[recorded["symbol"] == symbol]
        if closes_first and not own_closes.empty:
            own_recorded = own_recorded[own_recorded["ts"] >= own_closes["ts"].max() + _HALF_DAY]
        elif not closes_first and not own_recorded.empty:
            own_closes = own_closes[own_closes["ts"] + _HALF_DAY <= own_recorded["ts"].min()]
        parts += [own_closes, own_recorded]
    frames = [part for part in parts if not part.empty]
    if not frames:
        return recorded.iloc[0:0]
    return pd.concat(frames, ignore_index=True)
