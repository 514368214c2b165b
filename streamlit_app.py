"""stockmon's web app: sign in, pick stocks, watch them live. Run with `streamlit run`."""

import pandas as pd
import streamlit as st

from stockmon.app import embedded, frame, ui, ui_login
from stockmon.app.presentation import escape_markdown

# pandas stores strings in Arrow arrays by default. Streamlit draws a styled table (the
# dashboard's, at every refresh of every open dashboard) by writing its display strings into a
# copy column by column, which is slower on Arrow arrays: with strings as Python objects the
# app spends a fifth less CPU under 25 open dashboards (bench/sessions.py).
pd.set_option("mode.string_storage", "python")
# The icon ships with the app: no request leaves for an icon host when a page loads.
st.set_page_config(page_title="stockmon", page_icon=str(frame.ICON), layout="wide")
st.html(frame.APP_CSS)
embedded.run_embedded_scheduler()

ui_login.init_login_state()
ui_login.restore_login()
if (account := ui_login.current_account()) is not None:
    ui_login.give_cookie()
    with st.sidebar:
        st.markdown(f"**{escape_markdown(account.name)}**  \n@{account.username}")
        if st.button("Log out", key="logout_button"):
            ui_login.log_out()
            account = None
        else:
            st.divider()
            frame.scheduler_caption()

if account is None:
    ui_login.forget_login_cookie()
    page = st.navigation(
        [st.Page(frame.PAGES["login"], title="Sign in", icon=":material/login:", default=True)],
        position="hidden",
    )
else:
    page = st.navigation(
        [
            st.Page(
                frame.PAGES["dashboard"],
                title="Dashboard",
                icon=":material/monitoring:",
                default=True,
            ),
            st.Page(frame.PAGES["picker"], title="Stock Picker", icon=":material/playlist_add:"),
            st.Page(frame.PAGES["charts"], title="Charts", icon=":material/show_chart:"),
            st.Page(frame.PAGES["positions"], title="Positions", icon=":material/wallet:"),
            st.Page(frame.PAGES["alerts"], title="Alerts", icon=":material/notifications:"),
            st.Page(frame.PAGES["status"], title="Status", icon=":material/monitor_heart:"),
            st.Page(frame.PAGES["account"], title="Account", icon=":material/person:"),
            # one stock's page, opened from a dashboard row or the ticker
            st.Page(
                frame.PAGES["symbol"],
                title="Stock",
                icon=":material/finance:",
                url_path="symbol",
                visibility="hidden",
            ),
        ],
        position="top",  # on a phone a menu that closes once a page is chosen
    )
if account is not None:
    frame.close_navigation_on_phones(page.url_path)
with ui.showing_database_trouble():
    page.run()
