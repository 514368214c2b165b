"""stockmon's web app: sign in, pick stocks, watch them live. Run with `streamlit run`."""

import streamlit as st

from stockmon import ui

st.set_page_config(page_title="stockmon", page_icon=":material/monitoring:", layout="wide")

auth = ui.authenticator()
ui.restore_login(auth)
account = ui.current_account()
if account is not None:
    ui.sidebar(auth, account)  # holds the logout button, so read the state again after it
    account = ui.current_account()

if account is None:
    ui.forget_login_cookie(auth)
    page = st.navigation(
        [st.Page(ui.PAGES["login"], title="Sign in", icon=":material/login:", default=True)],
        position="hidden",
    )
else:
    page = st.navigation(
        [
            st.Page(
                ui.PAGES["dashboard"], title="Dashboard", icon=":material/monitoring:", default=True
            ),
            st.Page(ui.PAGES["picker"], title="Stock Picker", icon=":material/playlist_add:"),
            st.Page(ui.PAGES["charts"], title="Charts", icon=":material/show_chart:"),
            st.Page(ui.PAGES["alerts"], title="Alerts", icon=":material/notifications:"),
            st.Page(ui.PAGES["account"], title="Account", icon=":material/person:"),
        ]
    )
st.session_state["stockmon_authenticator"] = auth
page.run()
