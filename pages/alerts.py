"""Price alerts: create rules on your picks (or any catalog symbol), watch their state, read
what fired."""

import streamlit as st

from stockmon.app import frame, refusals, ui, ui_alerts, ui_login
from stockmon.app.presentation import with_dashes
from stockmon.app.queries import catalog
from stockmon.domain import alert_inbox, alert_kinds, notify
from stockmon.domain.alert_rules import delete_rule, set_paused
from stockmon.domain.money import MONEY, POINTS
from stockmon.domain.watchlists import get_picks

account = ui_login.require_account()
engine = ui.engine()
zone = frame.timezone(account)

st.title("Alerts")
st.caption(
    "The scheduler checks every new quote against your rules, with no browser open. A rule "
    "fires once when its condition becomes true and re-arms when it turns false again."
)

symbols = catalog(engine)
names = dict(zip(symbols["symbol"], symbols["name"], strict=True))
picks = [s for s in get_picks(engine, account.id) if s in names]
choices = picks + [s for s in names if s not in picks]
with st.container(border=True):
    ui_alerts.new_rule_form(
        account.id,
        choices,
        "new_rule",
        label=lambda s: f"{s} · {names[s]}" + (" (pick)" if s in picks else ""),
        preset=st.query_params.get("symbol"),
        details=True,
    )

rules = alert_inbox.rules_overview(engine, account.id)
st.subheader("Your rules")
if rules.empty:
    st.info("No alerts yet: create one above.")
else:
    picked = st.dataframe(
        with_dashes(rules.drop(columns=["id"]), {"price": MONEY, "distance": POINTS}),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        column_config={
            "symbol": "Symbol",
            "condition": "Condition",
            "note": st.column_config.TextColumn("Note"),
            "state": "State",
            "price": st.column_config.NumberColumn("Price"),
            "distance": st.column_config.NumberColumn("Distance", help=alert_kinds.DISTANCE_HELP),
            "one_shot": st.column_config.CheckboxColumn("Once"),
        },
        key="rules_table",
    )
    selected = [int(rules.iloc[i]["id"]) for i in picked.selection.rows]
    pause, resume, remove = st.columns(3)
    actions = (
        (pause, "Pause", lambda rule: set_paused(engine, account.id, rule, True)),
        (resume, "Resume", lambda rule: set_paused(engine, account.id, rule, False)),
        (remove, "Delete", lambda rule: delete_rule(engine, account.id, rule)),
    )
    for column, label, act in actions:
        if column.button(label, disabled=not selected, width="stretch"):
            for rule_id in selected:
                act(rule_id)
            st.rerun()
    st.caption("Select rules in the table to pause, resume or delete them.")
    with st.container(horizontal=True):
        for symbol in dict.fromkeys(rules["symbol"]):
            frame.symbol_link(symbol)

st.subheader("History")
unseen = alert_inbox.unseen_count(engine, account.id)
left, middle, right = st.columns([2, 1, 1])
only_symbol = left.selectbox("Symbol", ["All symbols", *sorted(names)], key="history_symbol")
only_unseen = middle.toggle("Unread only")
if right.button(f"Mark all read ({unseen})", disabled=not unseen, width="stretch"):
    alert_inbox.mark_all_read(engine, account.id)
    ui.refresh_snapshot()
    st.rerun()
history = alert_inbox.events(
    engine,
    account.id,
    None if only_symbol == "All symbols" else only_symbol,
    only_unseen,
)
if history.empty:
    st.caption("Nothing has fired yet.")
else:
    st.dataframe(
        with_dashes(history.drop(columns=["id"]), {"price": MONEY}),
        hide_index=True,
        width="stretch",
        column_config={
            "fired_at": st.column_config.DatetimeColumn(
                f"Fired ({zone})", format="YYYY-MM-DD HH:mm", timezone=str(zone)
            ),
            "symbol": "Symbol",
            "condition": "Condition",
            "price": st.column_config.NumberColumn("Price"),
            "note": st.column_config.TextColumn("Note"),
            "seen": st.column_config.CheckboxColumn("Read"),
            "delivery": "Delivery",
        },
    )

st.subheader("Notifications")
st.caption(
    "Alerts also go to these services, through Apprise: ntfy://topic, mailto://user:pass@host, "
    "slack://..., discord://..., tgram://..., json://host/path and many more. URLs hold "
    "secrets: they are shown masked after saving."
)
with st.form("new_channel", clear_on_submit=True):
    url = st.text_input("Notification URL", type="password", placeholder="ntfy://my-topic")
    if st.form_submit_button("Add"):
        with refusals.shown():
            shown = notify.add_channel(engine, account.id, url)
            st.success(f"Added {shown}.")
for channel_id, shown in notify.channels(engine, account.id):
    url_column, test_column, remove_column = st.columns([4, 1, 1])
    url_column.code(shown, language=None)
    if test_column.button("Send test", key=f"test_{channel_id}", width="stretch"):
        with refusals.shown(wording="The test notification failed: {}."):
            notify.send_test(engine, account.id, channel_id)
            st.success("Test notification sent.")
    if remove_column.button("Remove", key=f"remove_{channel_id}", width="stretch"):
        notify.remove_channel(engine, account.id, channel_id)
        st.rerun()
