"""What the person holds: lots bought, shares sold, a broker's CSV imported, and positions
valued at the latest quotes with their realised gains."""

import streamlit as st

from stockmon.app import frame, ui, ui_login, ui_positions, ui_trades
from stockmon.domain.models import utcnow
from stockmon.domain.positions import book_of, remove_lot, remove_sale
from stockmon.domain.watchlists import get_picks

account = ui_login.require_account()
engine = ui.engine()

st.title("Positions")
st.caption(
    "Record what you bought and sold, or import a broker's CSV: the dashboard then shows each "
    "position's value and gains. Sales sell the oldest shares first (first in, first out). "
    "Amounts are in each listing's currency; totals are per currency."
)

picks = get_picks(engine, account.id)
if not picks:
    st.info("Pick the stocks you hold first: positions are valued at their quotes.")
    st.page_link(
        frame.PAGES["picker"], label="Pick stocks to watch", icon=":material/playlist_add:"
    )
    st.stop()

buy, sell, upload = st.tabs(["Add a lot", "Record a sale", "Import a CSV"])
with buy:
    ui_trades.trade_form(account.id, picks, "buy")
with sell:
    ui_trades.trade_form(account.id, picks, "sell")
with upload:
    ui_trades.import_form(account.id)

book = book_of(engine, account.id)
if book.empty:
    st.info("No lots yet: add what you hold above.")
    st.stop()

held = ui_positions.holdings_of(book)
st.subheader("Positions")
ui_positions.show_holdings(held)

st.subheader("Lots")
ui_trades.show_lots(book.lots)
ui_trades.remove_control("lot", ui_trades.lot_labels(book.lots), account.id, remove_lot)
if not book.sales.empty:
    st.subheader("Sales")
    ui_trades.show_sales(held)
    labels = ui_trades.sale_labels(book.sales)
    ui_trades.remove_control("sale", labels, account.id, remove_sale)
st.download_button(
    "Download positions CSV",
    data=lambda: held.csv(),
    file_name=f"stockmon-positions-{utcnow():%Y-%m-%d}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
