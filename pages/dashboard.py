"""Live dashboard of the person's picks: ticker, headline metrics and the quote table."""

from datetime import timedelta

import streamlit as st

from stockmon.app import frame, refusals, ui, ui_alerts, ui_login, ui_positions
from stockmon.app.dashboard import (
    CHOOSABLE,
    SPARKLINE_WINDOW,
    market_line,
    pace_line,
    quotes_are_stale,
    scheduler_is_late,
    shown_columns,
    why_late,
)
from stockmon.app.presentation import (
    DASHBOARD_CSS,
    TICKER_SCRIPT,
    age_text,
    clock_time,
    escape_markdown,
    ticker_html,
)
from stockmon.app.snapshot import AlertCounts, take_snapshot
from stockmon.domain import alert_inbox, alert_kinds, earnings
from stockmon.domain.models import utcnow
from stockmon.domain.money import change_percent, money
from stockmon.domain.positions import book_of
from stockmon.domain.preferences import save_table_columns, table_columns
from stockmon.domain.watchlists import WatchlistError, list_symbols, lists_of

account = ui_login.require_account()
settings = ui.settings()
zone = frame.timezone(account)
lists = lists_of(ui.engine(), account.id)
st.html(DASHBOARD_CSS)
st.html(TICKER_SCRIPT, unsafe_allow_javascript=True)

st.title("Dashboard")
if not any(each.size for each in lists):
    st.info("You have not picked any stocks yet.")
    st.page_link(
        frame.PAGES["picker"], label="Pick stocks to watch", icon=":material/playlist_add:"
    )
    st.stop()
shown = frame.list_switcher(lists)
try:
    picks = list_symbols(ui.engine(), account.id, shown.id)
except WatchlistError:  # deleted in another tab since the lists were read
    st.rerun()
book = book_of(ui.engine(), account.id, picks)  # read per page load, not per refresh
if not picks:
    st.info(f"{escape_markdown(shown.name)} is empty.")
    st.page_link(frame.PAGES["picker"], label="Add stocks to it", icon=":material/playlist_add:")
    st.stop()


@st.fragment
def quick_alert() -> None:
    """A fragment: choosing a symbol reruns only the form, so the popover stays open."""
    with ui.showing_database_trouble():
        ui_alerts.new_rule_form(account.id, picks, "quick_alert")


def keep_columns() -> None:
    with refusals.shown(keep="columns_refusal"):
        save_table_columns(ui.engine(), account.id, st.session_state["table_columns"], CHOOSABLE)


toolbar = st.container(horizontal=True)
with toolbar.popover("New alert", icon=":material/add_alert:"):
    quick_alert()
with toolbar.popover("Columns", icon=":material/view_column:"):
    st.multiselect(
        "Columns to show",
        CHOOSABLE,
        default=shown_columns(table_columns(ui.engine(), account.id, CHOOSABLE))[3:],
        key="table_columns",
        on_change=keep_columns,
        help="Symbol, price and change % are always shown. Your choice is kept with your "
        "account; a click on a column's header sorts by it.",
    )
    refusals.show_kept("columns_refusal")


def announce_alerts(counts: AlertCounts) -> None:
    """A toast for each alert fired since the last look (once, whatever the open tabs), and a
    badge with the unread count; the database is asked only when the shared counters say
    there is something new."""
    fresh = alert_inbox.claim_announcements(ui.engine(), account.id) if counts.unannounced else []
    for event in fresh:
        condition = alert_kinds.describe(event.kind, event.threshold)
        note = f" · {event.note}" if event.note else ""
        st.toast(
            escape_markdown(f"{event.symbol} {condition}: now {money(event.price)}{note}"),
            icon=":material/notifications_active:",
        )
    if unseen := max(counts.unseen, len(fresh)):
        st.page_link(
            frame.PAGES["alerts"],
            label=f"{unseen} new alert{'s' * (unseen != 1)}",
            icon=":material/notifications_active:",
        )


@st.fragment(run_every=timedelta(seconds=settings.dashboard_refresh_seconds))
def live_quotes() -> None:
    with ui.showing_database_trouble(), ui.timed("dashboard refresh"):
        draw_quotes()


def draw_quotes() -> None:
    now = utcnow()
    snapshot = ui.market_snapshot()
    announce_alerts(snapshot.alert_counts(account.id))
    data = snapshot.for_picks(picks, ui.symbol_names())
    quotes = data.quotes
    if ticker := ticker_html(quotes, now, zone):
        st.html(ticker)

    cycle = timedelta(seconds=settings.refresh_seconds)
    status = snapshot.status
    newest = quotes["fetched_at"].max()
    waiting = quotes["price"].isna()
    if scheduler_is_late(status, now, cycle) and status.last_cycle_at is not None:
        st.warning(
            f"The scheduler last ran {age_text(status.last_cycle_at, now)}: quotes are not "
            f"being refreshed. {why_late(status, ui.database_trouble())}",
            icon=":material/schedule:",
        )
    elif waiting.all() and data.rejections:
        st.warning(
            "No stock of this list has a quote: the Price column says why for each.",
            icon=":material/block:",
        )
    elif waiting.all():
        st.info("Waiting for the first quotes: the scheduler fetches your picks at its next cycle.")
    elif quotes_are_stale(quotes, now, status, cycle):
        why = (
            "The scheduler has not run yet."
            if status.last_cycle_at is None
            else f"The scheduler runs; its last cycle: {status.last_cycle_summary or 'no summary'}."
        )
        st.warning(
            f"Quotes are stale: the newest is from {age_text(newest, now)}. {why}",
            icon=":material/schedule:",
        )
    st.caption(market_line(now, zone))
    if pace := pace_line(status, now, zone):
        st.caption(pace)

    previous = st.session_state.get("dashboard_prices", {})
    prices = data.prices()
    changed = {s for s, p in prices.items() if s in previous and previous[s] != p}
    st.session_state["dashboard_prices"] = prices
    clicked = st.dataframe(
        data.styled_table(zone, changed),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(quotes), 720),
        key="quotes_table",
        column_order=shown_columns(st.session_state.get("table_columns")),
        on_select="rerun",  # a click on a row opens its stock's page
        selection_mode="single-row",
        column_config={
            "Symbol": st.column_config.TextColumn(pinned=True),
            "Day range": st.column_config.ProgressColumn(
                "Day range",
                help="Where the price stands between the day's low (0 %) and high (100 %)",
                min_value=0,
                max_value=100,
                format="%.0f%%",
                width="small",
            ),
            "52-week range": st.column_config.ProgressColumn(
                "52 weeks",
                help="Where the price stands between the lowest low (0 %) and the highest high "
                "(100 %) of the last 52 weeks of daily history",
                min_value=0,
                max_value=100,
                format="%.0f%%",
                width="small",
            ),
            "Trend": st.column_config.LineChartColumn(
                f"Last {SPARKLINE_WINDOW.total_seconds() / 3600:.0f} h", width="small", color="auto"
            ),
            "Company": st.column_config.TextColumn(width="medium"),
            "Earnings": st.column_config.TextColumn(
                help="The next earnings report within 3 months, as the provider's calendar says"
            ),
            "Data": st.column_config.TextColumn(
                help="What the price is: real-time, 15-min delayed, end of day or simulated, "
                "as the quote provider's plan and answer say"
            ),
            "Price time": st.column_config.TextColumn(
                help="When the price was made, where the provider says; Alpha Vantage's quote "
                "gives only its trading day"
            ),
            "Updated": st.column_config.TextColumn(
                help="When stockmon last fetched the quote, or why the last fetch failed"
            ),
        },
    )

    if rows := clicked.selection.rows:
        frame.open_symbol_page(quotes["symbol"][rows[0]])
    if soon := data.earnings_soon():
        with st.container(horizontal=True, key="earnings_soon"):
            for report in soon:
                st.badge(
                    f"{report.symbol} · {earnings.badge(report, data.as_of)}",
                    icon=":material/event:",
                    color="violet",
                )

    quoted = quotes[~waiting]
    if not quoted.empty:
        best = quoted.loc[quoted["change_percent"].idxmax()]
        worst = quoted.loc[quoted["change_percent"].idxmin()]
        advancers = int((quoted["change"] > 0).sum())
        decliners = int((quoted["change"] < 0).sum())
        with st.container(key="movers"):
            *movers, breadth = st.columns(3)
            for column, label, row in zip(movers, ("Best", "Worst"), (best, worst), strict=True):
                column.metric(
                    f"{label} mover · {row.symbol}",
                    money(row.price),
                    change_percent(row.change_percent),
                    border=True,
                )
            breadth.metric(
                "Up / down today",
                f"{advancers} / {decliners}",
                f"{change_percent(quoted['change_percent'].mean())} average",
                border=True,
            )
    if not book.empty:
        st.subheader("Positions")
        ui_positions.show_holdings(ui_positions.holdings_of(book))
    st.caption(
        f"This page checked for new quotes at {clock_time(now, zone)} and checks every "
        f"{settings.dashboard_refresh_seconds} s; how fresh each price is depends on the "
        "provider, above."
    )


engine, names = ui.engine(), ui.symbol_names()  # for the click, outside any page run


def table_csv() -> str:
    """The table as it stands when the button is clicked. The button is drawn outside the
    refreshing part, so a refresh never replaces the file a click is about to fetch."""
    return take_snapshot(engine, utcnow()).for_picks(picks, names).table_csv(zone)


with st.container(key="live"):
    live_quotes()
st.download_button(
    "Download CSV",
    data=table_csv,
    file_name=f"stockmon-{utcnow().astimezone(zone):%Y-%m-%d}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
