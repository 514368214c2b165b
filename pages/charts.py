"""Price over time per pick, and several picks compared as % change; live, like the dashboard.

The chosen symbols and range live in the URL, so a view is a link to share or bookmark."""

from datetime import timedelta

import streamlit as st

from stockmon.app import frame, ui, ui_login
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
st.html(CHARTS_CSS)

st.title("Charts")
if not picks:
    st.info("Pick some stocks first.")
    st.page_link(
        frame.PAGES["picker"], label="Pick stocks to watch", icon=":material/playlist_add:"
    )
    st.stop()

chosen = st.multiselect("Symbols", picks, default=picks[:4], key="symbols", bind="query-params")
ranges, style = st.columns([4, 1], vertical_alignment="bottom")
span = ranges.segmented_control(
    "Range", list(RANGES), default="1 day", required=True, key="range", bind="query-params"
)
candles = span in DAILY_RANGES and style.toggle("Candlesticks", key="candles", bind="query-params")
if not chosen:
    st.info("Choose at least one symbol.")
    st.stop()


@st.fragment(run_every=timedelta(seconds=settings.dashboard_refresh_seconds))
def live_charts() -> None:
    with ui.showing_database_trouble():
        draw_charts()


def draw_charts() -> None:
    now = utcnow()
    history, bars = range_prices(engine, chosen, span, now)
    status = scheduler_status(engine)
    if span in DAILY_RANGES and status.without_daily_history:
        st.caption(
            f"{no_daily_history_text(status.provider)}: the long ranges show the days "
            "stockmon has recorded from its quotes since it started."
        )
    elif span in DAILY_RANGES and len(loaded := history_loaded(engine, chosen)) < len(chosen):
        st.caption(
            f"Daily history for {len(loaded)} of {len(chosen)} symbols so far: the scheduler "
            "fetches the rest within its share of the request budget."
        )
    if history.empty:
        st.info("No prices recorded in this range yet.")
        return

    if len(chosen) > 1:
        st.subheader("Compared: % change over the range")
        figure = comparison_figure(history, zone, chosen, symbol_colors(picks))
        st.altair_chart(figure, key="comparison")

    st.subheader("Price")
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
                continue
            if candles:
                figure = candle_figure(bars[bars["symbol"] == symbol], symbol)
                st.plotly_chart(figure, config=PLOTLY_CONFIG, key=f"candles_{symbol}")
            else:
                close = quotes.at[symbol, "previous_close"]
                figure = price_figure(series, close, zone, symbol)
                st.altair_chart(figure, key=f"price_{symbol}")
    if not book.lots.empty:
        st.subheader("Portfolio value")
        held = book.lots["symbol"].unique().tolist()
        held_prices, _bars = range_prices(engine, held, span, now)
        values = portfolio_history(book, held_prices, ui.symbol_currencies())
        if values.empty:
            st.caption("No prices of your holdings in this range yet.")
        else:
            st.altair_chart(portfolio_figure(values, zone), key="portfolio")
    st.caption(f"Times in {zone} · updated {now.astimezone(zone):%H:%M:%S}")


def prices_csv() -> str:
    """The range's prices when the button is clicked; drawn outside the refreshing part, so a
    refresh never replaces the file a click is about to fetch."""
    history, _bars = range_prices(engine, chosen, span, utcnow())
    return history_csv(history, zone)


live_charts()
st.download_button(
    "Download prices (CSV)",
    data=prices_csv,
    file_name=f"stockmon-prices-{span.replace(' ', '')}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
