"""stockmon's web app: sign in, pick stocks, watch them live. Run with `streamlit run`."""

import streamlit as st

from stockmon import ui

# The icon ships with the app: no request leaves for an icon host when a page loads.
st.set_page_config(page_title="stockmon", page_icon=str(ui.ICON), layout="wide")
st.html(ui.APP_CSS)

auth = ui.authenticator()
st.session_state["stockmon_authenticator"] = auth
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
        ],
        position="top",  # on a phone a menu that closes once a page is chosen
    )
if account is not None:
    ui.close_navigation_on_phones(page.url_path)
page.run()
