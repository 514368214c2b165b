"""What the scheduler is doing with the API budget: its heartbeat, requests against the limits,
each symbol's fetch record; admins can ask for a cycle now or another try for a symbol."""

from datetime import timedelta

import streamlit as st

from stockmon.app import frame, time_chart, ui, ui_login
from stockmon.app.charts import spending_figure
from stockmon.app.dashboard import scheduler_is_late, why_late
from stockmon.app.presentation import (
    age_text,
    clock_time,
    duration_text,
    escape_markdown,
    no_daily_history_text,
    provider_label,
)
from stockmon.app.status import (
    request_cycle,
    retry_symbol,
    status_report,
    stream_line,
    symbol_table,
)
from stockmon.domain.config import ProviderChoice
from stockmon.domain.models import utcnow

account = ui_login.require_account()
settings = ui.settings()
engine = ui.engine()
zone = frame.timezone(account)
# before the scheduler's first cycle says otherwise: the provider these settings choose
budgeted = settings.effective_provider is not ProviderChoice.DEMO

st.title("Status")
st.caption("What the scheduler last wrote down about itself, refreshed with the dashboard.")


@st.fragment(run_every=timedelta(seconds=settings.dashboard_refresh_seconds))
def live_status() -> None:
    with ui.showing_database_trouble():
        draw_status()


def draw_status() -> None:
    now = utcnow()
    report = status_report(engine, now, settings.symbols, budgeted)
    status = report.status
    if status.last_cycle_at is None:
        st.warning("The scheduler has not run yet. Start it with `python scheduler.py`.")
    elif scheduler_is_late(status, now, timedelta(seconds=settings.refresh_seconds)):
        st.warning(
            f"The scheduler last ran {age_text(status.last_cycle_at, now)}. "
            f"{why_late(status, ui.database_trouble())}",
            icon=":material/schedule:",
        )

    provider = provider_label(status.provider) if status.provider else "—"
    if status.plan and status.provider != ProviderChoice.DEMO.value:
        provider += f" {status.plan}"
    heartbeat, pace, budget = st.columns(3)
    heartbeat.metric(
        "Last cycle",
        age_text(status.last_cycle_at, now),
        help="When the leading scheduler last finished a refresh cycle",
        border=True,
    )
    interval = status.refresh_interval
    pace.metric(
        "Each symbol refreshed every",
        duration_text(interval) if interval else "—",
        "of trading time" if status.market_hours and interval else None,
        delta_color="off",
        delta_arrow="off",
        help="The interval the scheduler paces each symbol at, with today's budget",
        border=True,
    )
    if report.spending is None:
        budget.metric(
            "Requests", "no limits", help=f"{provider} has no request limits", border=True
        )
    else:
        spent = report.spending
        day_limit = f" / {status.per_day}" if status.per_day else ""
        budget.metric(
            "Requests sent, last 24 h",
            f"{spent.last_day}{day_limit}",
            f"{spent.last_minute} / {status.per_minute} in the last 60 s",
            delta_color="off",
            delta_arrow="off",
            help="Requests sent in the rolling 24 hours and the rolling minute, against the "
            "provider's limits; the cycle line below says how many each window has left",
            border=True,
        )
    prices = status.data_class or "—"
    st.markdown(
        f"**Provider** {escape_markdown(provider)} · **prices** {prices} · **leader** "
        f"`{status.leader or '—'}` · **version** {status.version or '—'}"
    )
    if status.stream is not None:
        st.markdown(stream_line(status.stream, zone))
        if status.stream.error:
            st.caption(f"Last stream error: {escape_markdown(status.stream.error)}")
    if status.last_cycle_at and status.last_cycle_summary:
        finished = clock_time(status.last_cycle_at, zone)
        st.caption(f"Last cycle, {finished}: {escape_markdown(status.last_cycle_summary)}")
    tracked = len(report.symbols)
    if not tracked:
        st.info(
            "Nothing is tracked: no one has picked a stock and STOCKMON_SYMBOLS is empty, so "
            "the scheduler sends no request. It fetches a stock as soon as someone picks it.",
            icon=":material/bedtime:",
        )
    elif status.without_daily_history:
        st.caption(
            f"{no_daily_history_text(status.provider)}: the daily bars grow from the quotes, "
            "a day at a time."
        )
    elif report.with_history < tracked:
        st.caption(
            f"Daily history for {report.with_history} of {tracked} tracked symbols so far: "
            "the scheduler fetches the rest within its share of the request budget."
        )
    if report.rejected:
        st.warning(
            f"The provider rejects {report.rejected} of {tracked} tracked symbols: the State "
            "column says why; they are tried again after a back-off.",
            icon=":material/block:",
        )
    if report.waiting:
        st.info(f"{report.waiting} of {tracked} tracked symbols wait for their first quote.")
    elif tracked and (left := report.until_all_refreshed(now)) is not None:
        quoted = tracked - report.rejected
        every = f"All {quoted} tracked" if not report.rejected else f"The {quoted} quoted"
        st.caption(
            f"{every} symbols refreshed once more within {duration_text(left)}"
            + (" of trading time" if status.market_hours else "")
            + "."
        )

    if report.spending is not None:
        st.subheader("Requests over the last 24 hours")
        time_chart.draw(spending_figure(report.spending.per_bucket, zone), key="spending")

    st.subheader("Symbols")
    st.dataframe(
        symbol_table(report.symbols, now, zone),
        hide_index=True,
        width="stretch",
        column_config={"Symbol": st.column_config.TextColumn(pinned=True)},
    )
    st.caption(f"Times in {zone} · updated {clock_time(now, zone)}")


live_status()

if account.is_admin:
    st.subheader("Admin")
    symbols = status_report(engine, utcnow(), settings.symbols, budgeted).symbols
    left, right = st.columns(2)
    if left.button("Run a cycle now", icon=":material/play_arrow:"):
        request_cycle(engine, utcnow())
        st.toast("Asked the scheduler for a cycle: it runs one within seconds.")
    backed_off = symbols[symbols["failures"] > 0]["symbol"].tolist()
    with right.form("retry"):
        symbol = st.selectbox(
            "Retry a failing symbol", backed_off, placeholder="No symbol is failing"
        )
        if st.form_submit_button("Retry now", disabled=not backed_off) and symbol:
            retry_symbol(engine, symbol, utcnow())
            st.toast(f"{symbol} is tried again at the next cycle, asked for now.")
