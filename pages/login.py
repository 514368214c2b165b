"""Logged out: log in, or create an account."""

import streamlit as st

from stockmon.app import refusals, ui, ui_login
from stockmon.app.presentation import escape_markdown
from stockmon.domain import accounts
from stockmon.domain.config import Registration

left, middle, right = st.columns([1, 2, 1])
with middle:
    st.title(":material/monitoring: stockmon")
    st.caption("Live quotes for the stocks you care about.")
    if st.session_state.pop("registered", False) or "login_mode" not in st.session_state:
        st.session_state["login_mode"] = "Log in"
    settings = ui.settings()
    registration = settings.registration
    choices = ["Log in"] if registration is Registration.CLOSED else ["Log in", "Create account"]
    mode = st.segmented_control(
        "What would you like to do?",
        choices,
        key="login_mode",
        required=True,
        label_visibility="collapsed",
    )
    if notice := st.session_state.pop("login_notice", None):
        st.success(notice)

    if mode == "Create account":
        problem = st.empty()  # above the form: seen without scrolling down to it
        with st.form("register", clear_on_submit=False):
            st.subheader("Create account")
            username = st.text_input("Username", help="3 to 32 letters, digits, '.', '_' or '-'")
            name = st.text_input("Name")
            email = st.text_input("Email")
            password = st.text_input(
                "Password",
                type="password",
                help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters",
            )
            repeat = st.text_input("Repeat password", type="password")
            if st.form_submit_button("Create account", type="primary"):
                with refusals.shown(problem):
                    accounts.check_registration_policy(
                        email, registration, settings.registration_allowlist
                    )
                    created = accounts.create_user(
                        ui.engine(), username, name, email, password, repeat
                    )
                    welcome = escape_markdown(created.name)
                    st.session_state["login_notice"] = (
                        f"Welcome, {welcome}! Your account is ready: log in below."
                    )
                    st.session_state["registered"] = True
                    st.rerun()
    else:
        ui_login.login_form()
        if registration is Registration.CLOSED:
            st.caption("New accounts are made by an admin here: ask yours for one.")
