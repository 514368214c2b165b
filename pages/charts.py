"""Price over time per pick, and several picks compared as % change; live, like the dashboard.

The chosen symbols and range live in the URL, so a view is a link to share or bookmark."""

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from stockmon.app import frame, time_chart, ui, ui_login
from stockmon.app.chart_prices import DAILY_RANGES, RANGES, range_prices
from stockmon.app.charts import (
    PLOTLY_CONFIG,
    candle_figure,
    comparison_figure,
    history_csv,
    portfolio_figure,
    price_figure,
    symbol_colors,
)
from stockmon.app.heartbeat import scheduler_status
from stockmon.app.presentation import CHARTS_CSS, no_daily_history_text
from stockmon.app.queries import latest_quotes
from stockmon.domain.daily import history_loaded
from stockmon.domain.gains import portfolio_history
from stockmon.domain.models import utcnow
from stockmon.domain.positions import book_of
from stockmon.domain.watchlists import get_picks

account = ui_login.require_account()
settings = ui.settings()
engine = ui.engine()
zone = frame.timezone(account)
picks = get_picks(engine, account.id)
book = book_of(engine, account.id)

st.title("Charts")
if not picks:
    st.info("Pick some stocks first.")
    st.page_link(
        frame.PAGES["picker"], label="Pick stocks to watch", icon=":material/playlist_add:"
    )
    st.stop()

chosen = st.multiselect("Symbols", picks, default=picks[:4], key="symbols", bind="query-params")
span = st.segmented_control(
    "Range", list(RANGES), default="1 day", required=True, key="range", bind="query-params"
)
if not chosen:
    st.info("Choose at least one symbol.")
    st.stop()


VIEWS = {"compared": "Compared", "prices": "Prices", "portfolio": "Portfolio value"}
views = [
    *(["compared"] if len(chosen) > 1 else []),
    "prices",
    *(["portfolio"] if not book.lots.empty else []),
]


@st.fragment(run_every=timedelta(seconds=settings.dashboard_refresh_seconds))
def live_view(view: str, candles: bool) -> None:
    with ui.showing_database_trouble():
        now = utcnow()
        if view == "portfolio":
            draw_portfolio(now)
        else:
            draw_symbols(view, candles, now)
        st.caption(f"Times in {zone} · updated {now.astimezone(zone):%H:%M:%S}")


def draw_symbols(view: str, candles: bool, now: datetime) -> None:
    history, bars = range_prices(engine, chosen, span, now)
    say_what_is_missing()
    if history.empty:
        st.info("No prices recorded in this range yet.")
    elif view == "compared":
        draw_comparison(history)
    else:
        draw_prices(history, bars, candles)


def say_what_is_missing() -> None:
    """Why a long range may start later than asked: no daily history from this provider, or
    not fetched yet for some of the symbols."""
    if span not in DAILY_RANGES:
        return
    status = scheduler_status(engine)
    if status.without_daily_history:
        st.caption(
            f"{no_daily_history_text(status.provider)}: the long ranges show the days "
            "stockmon has recorded from its quotes since it started."
        )
    elif len(loaded := history_loaded(engine, chosen)) < len(chosen):
        st.caption(
            f"Daily history for {len(loaded)} of {len(chosen)} symbols so far: the scheduler "
            "fetches the rest within its share of the request budget."
        )


def draw_comparison(history: pd.DataFrame) -> None:
    figure = comparison_figure(history, zone, chosen, symbol_colors(picks))
    time_chart.draw(figure, key="comparison")
    links = st.container(horizontal=True)
    for symbol in chosen:
        frame.symbol_link(symbol, where=links)


def draw_prices(history: pd.DataFrame, bars: pd.DataFrame, candles: bool) -> None:
    quotes = latest_quotes(engine, chosen).set_index("symbol")
    for index, symbol in enumerate(chosen):
        if index % 2 == 0:  # a row of two, so a phone stacks them in the list's order
            row = iter(st.columns(2))
        series = history[history["symbol"] == symbol]
        with next(row):
            name = quotes.at[symbol, "name"]
            frame.symbol_link(
                symbol, f"{symbol} · {name}" if isinstance(name, str) and name else None
            )
            if series.empty:
                st.caption("No prices in this range yet.")
            elif candles:
                figure = candle_figure(bars[bars["symbol"] == symbol], symbol)
                st.plotly_chart(figure, config=PLOTLY_CONFIG, key=f"candles_{symbol}")
            else:
                close = quotes.at[symbol, "previous_close"]
                time_chart.draw(price_figure(series, close, zone, symbol), key=f"price_{symbol}")


def draw_portfolio(now: datetime) -> None:
    held = book.lots["symbol"].unique().tolist()
    held_prices, _bars = range_prices(engine, held, span, now)
    values = portfolio_history(book, held_prices, ui.symbol_currencies())
    if values.empty:
        st.info("No prices of your holdings in this range yet.")
    else:
        time_chart.draw(portfolio_figure(values, zone), key="portfolio")


def prices_csv() -> str:
    """The range's prices when the button is clicked; drawn outside the refreshing part, so a
    refresh never replaces the file a click is about to fetch."""
    history, _bars = range_prices(engine, chosen, span, utcnow())
    return history_csv(history, zone)


# Only the open tab's charts are drawn: a page of one chart loads as fast as a table.
tabs = st.tabs([VIEWS[view] for view in views], key="view", on_change="rerun", bind="query-params")
for view, tab in zip(views, tabs, strict=True):
    if tab.open:
        with tab:
            candles = (
                view == "prices"
                and span in DAILY_RANGES
                and st.toggle("Candlesticks", key="candles", bind="query-params")
            )
            if candles:
                st.html(CHARTS_CSS)  # Plotly's toolbar hidden on phones
            live_view(view, candles)
st.download_button(
    "Download prices (CSV)",
    data=prices_csv,
    file_name=f"stockmon-prices-{span.replace(' ', '')}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
