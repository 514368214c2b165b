"""What the person holds: lots bought, and positions valued at the latest quotes."""

from datetime import date

import streamlit as st

from stockmon.app import frame, refusals, ui, ui_login, ui_positions
from stockmon.domain.models import utcnow
from stockmon.domain.money import COLUMN_MONEY, money
from stockmon.domain.positions import PositionError, add_lot, lots_of, remove_lot
from stockmon.domain.watchlists import get_picks

account = ui_login.require_account()
engine = ui.engine()

st.title("Positions")
st.caption(
    "Record what you bought, lot by lot: the dashboard then shows each position's value and "
    "gains. Amounts are in each listing's currency; totals are per currency."
)

picks = get_picks(engine, account.id)
names = ui.symbol_names()
if not picks:
    st.info("Pick the stocks you hold first: positions are valued at their quotes.")
    st.page_link(
        frame.PAGES["picker"], label="Pick stocks to watch", icon=":material/playlist_add:"
    )
    st.stop()

with st.form("new_lot", clear_on_submit=True):
    st.subheader("Add a lot")
    left, middle, right = st.columns(3)
    symbol = left.selectbox(
        "Symbol", picks, index=None, format_func=lambda s: f"{s} · {names.get(s, '')}"
    )
    bought_on = middle.date_input("Bought on", value=utcnow().date(), max_value=utcnow().date())
    quantity = right.number_input("Quantity", min_value=0.0, value=1.0, step=1.0, format="%g")
    price_column, fees_column, _ = st.columns(3)
    price = price_column.number_input("Price paid per share", min_value=0.0, step=1.0)
    fees = fees_column.number_input("Fees", min_value=0.0, step=1.0)
    if st.form_submit_button("Add lot", type="primary", icon=":material/add:"):
        with refusals.shown():
            if symbol is None:
                raise PositionError("Choose the symbol you bought.")
            add_lot(engine, account.id, symbol, bought_on or date.today(), quantity, price, fees)
            st.toast(f"Added {quantity:g} {symbol}.", icon=":material/check:")

lots = lots_of(engine, account.id)
if lots.empty:
    st.info("No lots yet: add what you hold above.")
    st.stop()

held = ui_positions.holdings_of(lots)
st.subheader("Positions")
ui_positions.show_holdings(held)

st.subheader("Lots")
st.dataframe(
    lots.drop(columns=["id"]),
    hide_index=True,
    column_config={
        "symbol": "Symbol",
        "bought_on": st.column_config.DateColumn("Bought on"),
        "quantity": st.column_config.NumberColumn("Quantity", format="%g"),
        "price": st.column_config.NumberColumn("Price paid", format=COLUMN_MONEY),
        "fees": st.column_config.NumberColumn("Fees", format=COLUMN_MONEY),
    },
)
left, right = st.columns([3, 1], vertical_alignment="bottom")
labels = {
    int(lot.id): f"{lot.symbol} · {lot.quantity:g} on {lot.bought_on:%Y-%m-%d}"
    f" at {money(lot.price)}"
    for lot in lots.itertuples()
}
chosen = left.selectbox("Remove a lot", list(labels), index=None, format_func=labels.__getitem__)
if right.button("Remove", icon=":material/delete:", disabled=chosen is None) and chosen is not None:
    with refusals.shown():
        remove_lot(engine, account.id, chosen)
        st.rerun()
st.download_button(
    "Download positions CSV",
    data=lambda: held.csv(),
    file_name=f"stockmon-positions-{utcnow():%Y-%m-%d}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
