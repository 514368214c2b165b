"""Choose the stocks to watch; saved per person, tracked by the scheduler from its next cycle."""

import streamlit as st

from stockmon import ui
from stockmon.queries import catalog
from stockmon.watchlists import MAX_PICKS, WatchlistError, get_picks, save_picks

account = ui.require_account()
engine = ui.engine()

st.title("Stock Picker")
st.caption(
    "Type a symbol or company name to search. Your picks are yours alone; "
    "the scheduler starts fetching new ones at its next cycle."
)

symbols = catalog(engine)
names = dict(zip(symbols["symbol"], symbols["name"], strict=True))
current = get_picks(engine, account.id)

with st.form("picks"):
    chosen = st.multiselect(
        "Your stocks",
        options=list(names),
        default=[s for s in current if s in names],
        format_func=lambda symbol: f"{symbol} · {names[symbol]}",
        max_selections=MAX_PICKS,
        placeholder="Search symbols or companies",
    )
    saved = st.form_submit_button("Save picks", type="primary")

if saved:
    try:
        current = save_picks(engine, account.id, chosen)
    except WatchlistError as error:
        st.error(str(error))
    else:
        st.success(f"Saved {len(current)} pick{'s' * (len(current) != 1)}.")

if current:
    st.page_link(ui.PAGES["dashboard"], label="Open the dashboard", icon=":material/monitoring:")

with st.expander(f"Browse all {len(symbols)} symbols"):
    st.dataframe(
        symbols.rename(columns={"symbol": "Symbol", "name": "Company", "exchange": "Exchange"}),
        hide_index=True,
        width="stretch",
    )
