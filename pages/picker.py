"""Choose the stocks to watch, on named lists: saved as they change, fetched from the next
cycle."""

from datetime import timedelta

import streamlit as st

from stockmon.app import frame, refusals, ui, ui_login
from stockmon.app.presentation import escape_markdown, with_dashes
from stockmon.app.queries import catalog, latest_quotes
from stockmon.domain.limits import current_limits
from stockmon.domain.models import utcnow
from stockmon.domain.money import CHANGE_PERCENT, MONEY
from stockmon.domain.search import find_listings, request_search, search_state
from stockmon.domain.watchlists import (
    FIRST_LIST_NAME,
    WatchlistError,
    create_list,
    delete_list,
    list_symbols,
    lists_of,
    move_list,
    rename_list,
    save_picks,
)

account = ui_login.require_account()
engine = ui.engine()

st.title("Stock Picker")
st.caption(
    "Type a symbol or company name to search. Your lists are yours alone and are saved as you "
    "change them; the scheduler starts fetching new symbols at its next cycle."
)

lists = lists_of(engine, account.id) or [create_list(engine, account.id, FIRST_LIST_NAME)]
shown = frame.list_switcher(lists)


def change_lists(action, *args, done: str, show: str | None = None) -> None:
    """A list change, as a widget callback: its error, or ``done``, shows on the rerun it
    causes; the switcher then shows the list named ``show``, else the first list."""
    with refusals.shown(keep="lists_error"):
        action(engine, account.id, *args)
        st.toast(done, icon=":material/check:")
        if show is None:
            st.session_state.pop("list", None)
        else:
            st.session_state["list"] = show


def add_list() -> None:
    name = " ".join(st.session_state["new_list"].split())
    change_lists(create_list, name, done=f"Created {escape_markdown(name)}.", show=name)


def rename_shown() -> None:
    name = " ".join(st.session_state[f"list_name_{shown.id}"].split())
    change_lists(
        rename_list, shown.id, name, done=f"Renamed to {escape_markdown(name)}.", show=name
    )


with st.popover("Manage lists", icon=":material/list:"):
    with st.form("new_list_form", clear_on_submit=True, border=False):
        st.text_input("New list", placeholder="Tech, Dividends, …", max_chars=40, key="new_list")
        st.form_submit_button("Create list", icon=":material/add:", on_click=add_list)
    st.divider()
    with st.form("rename_list_form", border=False):
        st.text_input(
            f"Rename {escape_markdown(shown.name)}",
            value=shown.name,
            max_chars=40,
            key=f"list_name_{shown.id}",
        )
        st.form_submit_button("Rename", icon=":material/edit:", on_click=rename_shown)
    earlier, later = st.columns(2)
    for column, label, icon, steps, blocked in (
        (earlier, "Move left", ":material/arrow_back:", -1, lists[0]),
        (later, "Move right", ":material/arrow_forward:", 1, lists[-1]),
    ):
        column.button(
            label,
            icon=icon,
            disabled=shown.id == blocked.id,
            on_click=change_lists,
            args=(move_list, shown.id, steps),
            kwargs={"done": f"Moved {escape_markdown(shown.name)}.", "show": shown.name},
        )
    st.divider()
    sure = st.checkbox(f"Yes, delete {escape_markdown(shown.name)} and its {shown.size} symbols")
    st.button(
        "Delete list",
        icon=":material/delete:",
        disabled=not sure,
        on_click=change_lists,
        args=(delete_list, shown.id),
        kwargs={"done": f"Deleted {escape_markdown(shown.name)}."},
    )
refusals.show_kept("lists_error")

symbols = catalog(engine)
labels = {
    symbol: f"{symbol} · {name}"
    for symbol, name in zip(symbols["symbol"], symbols["name"], strict=True)
}
try:
    current = list_symbols(engine, account.id, shown.id)
except WatchlistError:  # deleted in another tab since the lists were read
    st.rerun()
picks_key = f"picks_{shown.id}"


def save() -> None:
    with refusals.shown(keep="picks_error"):
        saved = save_picks(engine, account.id, st.session_state[picks_key], shown.id)
        st.toast(
            f"Saved {len(saved)} symbol{'s' * (len(saved) != 1)} on {escape_markdown(shown.name)}.",
            icon=":material/check:",
        )


if picks_key not in st.session_state:  # the widget's state, also set when a search adds
    st.session_state[picks_key] = [s for s in current if s in labels]
st.multiselect(
    f"Stocks on {escape_markdown(shown.name)}",
    options=list(labels),
    format_func=labels.__getitem__,
    max_selections=current_limits(engine).per_user,
    placeholder="Search symbols or companies",
    select_all=False,
    key=picks_key,
    on_change=save,
)
refusals.show_kept("picks_error")


def add_found(symbol: str) -> None:
    """Add a listing a search found to the list on screen (the picker shows it at once)."""
    st.session_state[picks_key] = [*st.session_state.get(picks_key, current), symbol]
    save()


@st.fragment(run_every=timedelta(seconds=1))
def waiting_for(search_id: int) -> None:
    """Look for the scheduler's answer every second; once it is there, show it."""
    state = search_state(engine, search_id)
    if state is None or state.answered:
        st.rerun()
    st.caption(f"Searching every listing for “{escape_markdown(state.keywords)}”…")


def show_search(search_id: int) -> None:
    state = search_state(engine, search_id)
    if state is None:
        return
    if not state.answered:
        waiting_for(search_id)
        return
    if state.error:
        st.warning(escape_markdown(state.error), icon=":material/travel_explore:")
        return
    found = find_listings(engine, state.keywords)
    if found.empty:
        st.info(f"No listing matches “{escape_markdown(state.keywords)}”.")
        return
    chosen = set(st.session_state.get(picks_key, current))
    for listing in found.itertuples():
        line, action = st.columns([5, 1], vertical_alignment="center")
        region = f" · {listing.region}" if listing.region else ""
        line.markdown(
            f"**{escape_markdown(listing.symbol)}** · {escape_markdown(listing.name)}"
            f"{escape_markdown(region)} · {escape_markdown(listing.currency)}"
        )
        action.button(
            "Added" if listing.symbol in chosen else "Add",
            key=f"add_{listing.symbol}",
            disabled=listing.symbol in chosen,
            on_click=add_found,
            args=(listing.symbol,),
        )


with st.expander(
    "Not in the list? Search every listing",
    icon=":material/travel_explore:",
    expanded="search_id" in st.session_state,
):
    with st.form("search_form", border=False):
        words = st.text_input(
            "Symbol or company", placeholder="ASML, Tesco, RELIANCE.BSE", max_chars=40
        )
        if st.form_submit_button("Search", icon=":material/search:"):
            with refusals.shown():  # our own words, never the person's
                st.session_state["search_id"] = request_search(engine, words, utcnow()).id
    st.caption(
        "The scheduler asks the quote provider (one request from the shared budget) and adds "
        "what it finds for everyone; the same words again within a week cost nothing."
    )
    if (search_id := st.session_state.get("search_id")) is not None:
        show_search(search_id)

if current:
    quotes = latest_quotes(engine, current)
    chosen_row = st.dataframe(
        with_dashes(
            quotes[["symbol", "name", "price", "change_percent"]].replace({"name": {"": None}}),
            {"price": MONEY, "change_percent": CHANGE_PERCENT},
        ),
        hide_index=True,
        column_config={
            "symbol": "Symbol",
            "name": "Company",
            "price": st.column_config.NumberColumn("Price"),
            "change_percent": st.column_config.NumberColumn("Change %"),
        },
        key="list_table",
        on_select="rerun",  # a click on a row's box opens its stock's page
        selection_mode="single-row",
    )
    if rows := chosen_row.selection.rows:
        frame.open_symbol_page(quotes["symbol"][rows[0]])
    st.caption("Tick a row's box to open that stock's own page.")
    st.page_link(frame.PAGES["dashboard"], label="Open the dashboard", icon=":material/monitoring:")

with st.expander(f"Browse all {len(symbols)} symbols"):
    st.dataframe(
        symbols.rename(columns={"symbol": "Symbol", "name": "Company", "exchange": "Exchange"}),
        hide_index=True,
        width="stretch",
    )
