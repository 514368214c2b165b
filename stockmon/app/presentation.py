"""Text and HTML the app shows, built without Streamlit so it can be tested on its own.

Everything that ends up in HTML is escaped here: a symbol or company name is data, never markup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, tzinfo
from html import escape
from urllib.parse import quote

import pandas as pd
from pandas.io.formats.style import Styler

from stockmon.domain.money import change_percent, money

EMPTY = "—"  # every empty cell, on every page
PROVIDER_LABELS = {"alphavantage": "Alpha Vantage", "finnhub": "Finnhub", "demo": "Demo market"}
GAIN = "#16a34a"
LOSS = "#dc2626"
FLAT = "#64748b"


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$])")


def escape_markdown(text: str) -> str:
    """``text`` shown literally inside ``st.markdown`` (names are data, not formatting)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


MISSING = -math.inf  # a missing number in a shown table: sorts below every number


def with_dashes(frame: pd.DataFrame, formats: Mapping[str, str] | None = None) -> Styler:
    """``frame`` as a table shows it: ``formats`` (``money.MONEY``) per number column and "—" in
    every empty cell, never "None" or "nan".

    Streamlit's grid draws "None" for any empty cell whatever the styler says, so an empty
    text cell holds "—" and an empty number in ``formats`` holds ``MISSING``, which its
    format shows as "—". Empty cells of other columns (progress bars, sparklines) stay empty:
    the grid draws them blank."""
    formats = dict(formats or {})
    shown = frame.copy()
    for column in shown.columns:
        if column in formats:
            shown[column] = shown[column].astype("float64").fillna(MISSING)
        elif _holds_text(shown[column]):
            shown[column] = shown[column].map(_text_or_dash)
    styler = shown.style
    for column, pattern in formats.items():
        styler = styler.format(_number_or_dash(pattern), subset=[column])
    return styler


def _holds_text(column: pd.Series) -> bool:
    """Text, not numbers, times, flags or lists (sparklines)."""
    kinds = pd.api.types
    if kinds.is_numeric_dtype(column) or kinds.is_datetime64_any_dtype(column):
        return False
    return not any(isinstance(value, list | tuple) for value in column)


def _text_or_dash(value: object) -> object:
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return EMPTY
    return value


def _number_or_dash(pattern: str):
    def shown(value: float) -> str:
        return EMPTY if value == MISSING or pd.isna(value) else pattern.format(value)

    return shown


def direction(change: float | None) -> str:
    if change is None or not math.isfinite(change) or change == 0:  # NaN, MISSING
        return "flat"
    return "up" if change > 0 else "down"


def change_color(change: float | None) -> str:
    return {"up": GAIN, "down": LOSS, "flat": FLAT}[direction(change)]


def age_text(then: datetime | None, now: datetime) -> str:
    """'12 s ago', '4 min ago', '3 h ago', '2 d ago'; 'never' for no time."""
    if then is None or pd.isna(then):
        return "never"
    seconds = max((now - then).total_seconds(), 0)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} d ago"


def duration_text(span: timedelta) -> str:
    """'45 s', '12 min', '2 h 36 min', '3 d 4 h': a length of time, to the unit that matters."""
    seconds = round(max(span.total_seconds(), 0))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def provider_label(name: str) -> str:
    """'Alpha Vantage' for 'alphavantage': a provider as people know it."""
    return PROVIDER_LABELS.get(name, name)


def no_daily_history_text(provider: str | None) -> str:
    """'Finnhub gives no daily history on this plan': what the long ranges lack, and why."""
    return f"{provider_label(provider or '')} gives no daily history on this plan"


def market_time_text(moment: datetime | None, day: date | None, zone: tzinfo) -> str | None:
    """When a price was made: 'Mon 15:59 EST' where the provider says, else its trading day
    alone ('Mon 2 Mar, no time given'); None when neither is known."""
    if moment is not None and not pd.isna(moment):
        return day_time(moment, zone)
    if day is not None and not pd.isna(day):
        return f"{day:%a} {day.day} {day:%b}, no time given"
    return None


def clock_time(moment: datetime, zone: tzinfo) -> str:
    """'15:04:05 CET': a time of today in the person's zone, labelled."""
    return moment.astimezone(zone).strftime("%H:%M:%S %Z")


def day_time(moment: datetime, zone: tzinfo) -> str:
    """'Fri 16:00 EST': a moment within the week, in the person's zone, labelled."""
    return moment.astimezone(zone).strftime("%a %H:%M %Z")


def symbol_page_link(symbol: str) -> str:
    """The address of ``symbol``'s own page, relative to the app's (any base path works)."""
    return f"symbol?symbol={quote(symbol, safe='')}"


def ticker_html(quotes: pd.DataFrame, now: datetime, zone: tzinfo) -> str:
    """A scrolling ticker line (symbol, price, arrow and change %) for the quoted rows; each
    item's tooltip says what its price is and when it was made.

    Each refresh draws the ticker anew, which restarts its animation; starting it at the phase
    the wall clock gives (a negative delay) makes it scroll on as if it had never stopped. The
    speed is per item, so a long list scrolls no faster than a short one. The line is drawn
    twice for a seamless loop, each copy wider than the ticker by more than an item, so a
    stock is never in view twice; ``TICKER_SCRIPT`` keeps the place of a ticker paused under
    the mouse when a refresh draws it anew."""
    items = []
    for row in quotes.dropna(subset=["price"]).itertuples():
        arrow = {"up": "▲", "down": "▼", "flat": "■"}[direction(row.change)]
        percent = 0.0 if pd.isna(row.change_percent) else row.change_percent
        what = [str(row.symbol), row.data_class if isinstance(row.data_class, str) else ""]
        what.append(market_time_text(row.market_time, row.latest_trading_day, zone) or "")
        tooltip = escape(" · ".join(part for part in what if part), quote=True)
        items.append(
            f'<a class="stockmon-tick stockmon-{direction(row.change)}" title="{tooltip}" '
            f'href="{escape(symbol_page_link(str(row.symbol)), quote=True)}">'
            f"<b>{escape(str(row.symbol))}</b> {money(row.price)} "
            f"{arrow} {change_percent(percent)}</a>"
        )
    if not items:
        return ""
    line = "".join(items)
    seconds = max(20, 4 * len(items))
    phase = now.timestamp() % seconds
    return f"""<div class="stockmon-ticker" role="marquee" aria-label="Ticker">
<div class="stockmon-track" style="animation-duration:{seconds}s;animation-delay:-{phase:.2f}s">
<span class="stockmon-line">{line}</span><span class="stockmon-line">{line}</span></div></div>
<style>
.stockmon-ticker {{ overflow: hidden; white-space: nowrap; border-radius: 0.5rem;
  background: rgba(100, 116, 139, 0.10); padding: 0.45rem 0; container-type: inline-size; }}
.stockmon-track {{ display: inline-flex; animation: stockmon-scroll linear infinite; }}
.stockmon-line {{ display: inline-flex; justify-content: space-around;
  min-width: calc(100cqw + 16rem); }}
.stockmon-ticker:hover .stockmon-track, .stockmon-ticker:active .stockmon-track {{
  animation-play-state: paused; }}
.stockmon-tick {{ margin: 0 1.4rem; font-variant-numeric: tabular-nums;
  text-decoration: none; }}
.stockmon-up {{ color: {GAIN}; }}
.stockmon-down {{ color: {LOSS}; }}
.stockmon-flat {{ color: {FLAT}; }}
@keyframes stockmon-scroll {{
  from {{ transform: translateX(0); }} to {{ transform: translateX(-50%); }} }}
@media (prefers-reduced-motion: reduce) {{ .stockmon-track {{ animation: none; }} }}
</style>"""


# A ticker drawn anew by a refresh restarts its animation at the wall clock's phase; the
# script starts it instead at the phase it would have if the pauses under the mouse had
# stopped the clock, so a paused ticker stays where it is. Static: it carries no data.
TICKER_SCRIPT = """<script>
(() => {
  if (window.stockmonTicker) return;
  const state = (window.stockmonTicker = { pausedMs: 0, since: null });
  const pausedMs = () => state.pausedMs + (state.since === null ? 0 : Date.now() - state.since);
  const place = (track) => {
    const seconds = parseFloat(track.style.animationDuration);
    if (!seconds) return;
    const phase = ((Date.now() - pausedMs()) / 1000) % seconds;
    track.style.animationDelay = `-${phase.toFixed(3)}s`;
  };
  document.addEventListener("mouseover", (event) => {
    const over = Boolean(event.target.closest?.(".stockmon-ticker"));
    if (over && state.since === null) state.since = Date.now();
    if (!over && state.since !== null) {  // left it, also while a refresh replaced it
      state.pausedMs += Date.now() - state.since;
      state.since = null;
    }
  });
  const placeNew = () =>
    document.querySelectorAll(".stockmon-track:not([data-placed])").forEach((track) => {
      track.dataset.placed = "1";
      place(track);
    });
  new MutationObserver(placeNew).observe(document.body, { childList: true, subtree: true });
  placeNew();
})();
</script>"""


# On a phone the watchlist comes first: the mover cards follow the table instead of pushing it
# below the fold.
DASHBOARD_CSS = """<style>
@media (max-width: 640px) { .st-key-movers { order: 1; } }
</style>"""

# Charts on a phone: no plotly mode bar over the lines (dragging still zooms).
CHARTS_CSS = """<style>
@media (max-width: 640px) { .modebar-container { display: none !important; } }
</style>"""
