"""The person's account: name, e-mail and time zone; password; deleting the account."""

import streamlit as st

from stockmon.app import frame, refusals, ui, ui_login
from stockmon.app.presentation import escape_markdown
from stockmon.domain import accounts, sessions
from stockmon.domain.watchlists import get_picks

BROWSER_ZONE = "As my browser"

account = ui_login.require_account()
engine = ui.engine()

st.title("Account")
st.markdown(
    f"**{escape_markdown(account.name)}** · @{account.username} · "
    f"{escape_markdown(account.email)}  \n"
    f"Watching {len(get_picks(engine, account.id))} stocks · times shown in "
    f"{frame.timezone(account)}."
)

with st.form("profile"):
    st.subheader("Profile")
    name = st.text_input("Name", value=account.name, max_chars=100)
    email = st.text_input("Email", value=account.email, max_chars=254)
    zones = [BROWSER_ZONE, *accounts.timezones()]
    zone = st.selectbox(
        "Time zone",
        zones,
        index=zones.index(account.timezone) if account.timezone in zones else 0,
        help=f"{BROWSER_ZONE}: {st.context.timezone or 'UTC'}",
    )
    if st.form_submit_button("Save profile", type="primary"):
        with refusals.shown():
            accounts.update_profile(
                engine, account.username, name, email, "" if zone == BROWSER_ZONE else zone
            )
            st.session_state["account_notice"] = "Profile saved."
            st.rerun()
if notice := st.session_state.pop("account_notice", None):
    st.success(notice)

with st.form("change_password", clear_on_submit=True):
    st.subheader("Change password")
    current = st.text_input("Current password", type="password")
    new = st.text_input(
        "New password", type="password", help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters"
    )
    repeat = st.text_input("Repeat new password", type="password")
    if st.form_submit_button("Change password"):
        with refusals.shown():
            changed_at = accounts.change_password(engine, account.username, current, new, repeat)
            ui_login.renew_session(changed_at)
            st.success("Password changed. You were logged out everywhere else.")

with st.container(border=True):
    st.subheader("Sessions")
    st.caption(
        "Logged in on a shared or lost device? End every session of your account, this one "
        "included, on every device at its next page load."
    )
    if st.button("Log out everywhere", icon=":material/logout:"):
        sessions.end_sessions(engine, account.username)
        ui_login.log_out()
        st.rerun()

with st.expander("Delete account", icon=":material/delete:"):
    st.write(
        "This deletes your account with your picks, alert rules, alert history and "
        "notification URLs. It cannot be undone."
    )
    with st.form("delete_account"):
        password = st.text_input("Your password, to confirm", type="password")
        typed = st.text_input(f"Type your username ({account.username}) to confirm")
        if st.form_submit_button("Delete my account"):
            if typed.strip().lower() != account.username:
                st.error("Type your username exactly to confirm.")
            elif not accounts.verify_password(engine, account.username, password):
                st.error("The password is wrong.")
            else:
                accounts.remove_user(engine, account.username)
                ui_login.log_out()
                st.rerun()
