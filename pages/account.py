"""The person's account: details and password change."""

import streamlit as st

from stockmon import accounts, ui
from stockmon.accounts import AccountError
from stockmon.presentation import escape_markdown
from stockmon.watchlists import get_picks

account = ui.require_account()

st.title("Account")
st.markdown(
    f"**{escape_markdown(account.name)}** · @{account.username} · "
    f"{escape_markdown(account.email)}  \n"
    f"Watching {len(get_picks(ui.engine(), account.id))} stocks."
)

with st.form("change_password", clear_on_submit=True):
    st.subheader("Change password")
    current = st.text_input("Current password", type="password")
    new = st.text_input(
        "New password", type="password", help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters"
    )
    repeat = st.text_input("Repeat new password", type="password")
    if st.form_submit_button("Change password", type="primary"):
        try:
            accounts.change_password(ui.engine(), account.username, current, new, repeat)
        except AccountError as error:
            st.error(str(error))
        else:
            st.success("Password changed.")
