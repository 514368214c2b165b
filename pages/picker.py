"""Choose the stocks to watch: saved as they change, fetched from the next cycle."""

import streamlit as st

from stockmon import ui, ui_login
from stockmon.limits import current_limits
from stockmon.queries import catalog, latest_quotes
from stockmon.watchlists import WatchlistError, get_picks, save_picks

account = ui_login.require_account()
engine = ui.engine()

st.title("Stock Picker")
st.caption(
    "Type a symbol or company name to search. Your picks are yours alone and are saved as you "
    "change them; the scheduler starts fetching new ones at its next cycle."
)

symbols = catalog(engine)
labels = {
    symbol: f"{symbol} · {name}"
    for symbol, name in zip(symbols["symbol"], symbols["name"], strict=True)
}
current = get_picks(engine, account.id)


def save() -> None:
    try:
        saved = save_picks(engine, account.id, st.session_state["picks"])
    except WatchlistError as error:
        st.session_state["picks_error"] = str(error)
    else:
        st.toast(f"Saved {len(saved)} pick{'s' * (len(saved) != 1)}.", icon=":material/check:")


st.multiselect(
    "Your stocks",
    options=list(labels),
    default=[s for s in current if s in labels],
    format_func=labels.get,
    max_selections=current_limits(engine).per_user,
    placeholder="Search symbols or companies",
    select_all=False,
    key="picks",
    on_change=save,
)
if error := st.session_state.pop("picks_error", None):
    st.error(error)

if current:
    quotes = latest_quotes(engine, current)
    st.dataframe(
        quotes[["symbol", "name", "price", "change_percent"]],
        hide_index=True,
        column_config={
            "symbol": "Symbol",
            "name": "Company",
            "price": st.column_config.NumberColumn("Price", format="%.2f"),
            "change_percent": st.column_config.NumberColumn("Change %", format="%+.2f%%"),
        },
    )
    st.page_link(ui.PAGES["dashboard"], label="Open the dashboard", icon=":material/monitoring:")

with st.expander(f"Browse all {len(symbols)} symbols"):
    st.dataframe(
        symbols.rename(columns={"symbol": "Symbol", "name": "Company", "exchange": "Exchange"}),
        hide_index=True,
        width="stretch",
    )
