"""Price over time per pick, and several picks compared as % change."""

from datetime import timedelta

import streamlit as st

from stockmon import ui
from stockmon.charts import comparison_figure, price_figure
from stockmon.models import utcnow
from stockmon.queries import latest_quotes, price_history
from stockmon.watchlists import get_picks

RANGES = {
    "1 day": timedelta(days=1),
    "5 days": timedelta(days=5),
    "1 month": timedelta(days=30),
    "All": None,
}

account = ui.require_account()
engine = ui.engine()
picks = get_picks(engine, account.id)

st.title("Charts")
if not picks:
    st.info("Pick some stocks first.")
    st.page_link(ui.PAGES["picker"], label="Pick stocks to watch", icon=":material/playlist_add:")
    st.stop()

controls = st.columns([3, 2])
chosen = controls[0].multiselect("Symbols", picks, default=picks[:4], key="chart_symbols")
span = controls[1].segmented_control("Range", list(RANGES), default="1 day", key="chart_range")
if not chosen:
    st.info("Choose at least one symbol.")
    st.stop()

now = utcnow()
window = RANGES[span or "1 day"]
history = price_history(engine, chosen, None if window is None else now - window, now)
if history.empty:
    st.info("No prices recorded in this range yet.")
    st.stop()

if len(chosen) > 1:
    st.subheader("Compared: % change over the range")
    st.plotly_chart(comparison_figure(history), width="stretch")

st.subheader("Price")
quotes = latest_quotes(engine, chosen).set_index("symbol")
columns = st.columns(2)
for index, symbol in enumerate(chosen):
    series = history[history["symbol"] == symbol]
    with columns[index % 2]:
        if series.empty:
            st.caption(f"{symbol}: no prices in this range yet.")
            continue
        previous_close = quotes.at[symbol, "previous_close"]
        st.plotly_chart(
            price_figure(symbol, quotes.at[symbol, "name"], series, previous_close),
            width="stretch",
            key=f"price_{symbol}",
        )
