"""One stock in one place: its quote and how fresh it is, its day and 52-week ranges, its chart
over every range, your lots, your alerts, and which of your lists hold it. Opened as
``symbol?symbol=AAPL`` from a dashboard or picker row, the ticker, a chart's title or an alert."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from stockmon.app import frame, time_chart, ui, ui_alerts, ui_login, ui_positions
from stockmon.app.chart_prices import RANGES, range_prices
from stockmon.app.charts import price_figure, volume_figure
from stockmon.app.presentation import EMPTY, age_text, escape_markdown, market_time_text
from stockmon.app.queries import company_facts
from stockmon.domain import earnings
from stockmon.domain.alert_inbox import rules_overview
from stockmon.domain.models import utcnow
from stockmon.domain.money import (
    change_percent,
    currency_label,
    large_money,
    money,
    signed_money,
)
from stockmon.domain.positions import book_of
from stockmon.domain.symbols import normalize_symbol
from stockmon.domain.watchlists import lists_holding

account = ui_login.require_account()
engine = ui.engine()
settings = ui.settings()
zone = frame.timezone(account)

try:
    symbol = normalize_symbol(st.query_params.get("symbol", ""))
except ValueError:
    st.title("Stock")
    st.error("This link names no stock. Open one from the dashboard, the charts or your alerts.")
    st.page_link(frame.PAGES["dashboard"], label="Dashboard", icon=":material/monitoring:")
    st.stop()

names = ui.symbol_names()
st.title(escape_markdown(f"{symbol} · {names[symbol]}" if names.get(symbol) else symbol))


@st.fragment(run_every=timedelta(seconds=settings.dashboard_refresh_seconds))
def live_quote() -> None:
    with ui.showing_database_trouble():
        draw_quote()


def draw_quote() -> None:
    now = utcnow()
    data = ui.market_snapshot().for_picks([symbol], names)
    quote = data.quotes.iloc[0]
    if pd.isna(quote["price"]):
        st.info(f"{symbol} has no quote: {data.price_note(symbol)}.")
        return
    currency = currency_label(quote["currency"])
    price, previous, opened, traded = st.columns(4)
    change, percent = quote["change"], quote["change_percent"]
    moved = None if pd.isna(change) else signed_money(change)
    if moved and not pd.isna(percent):
        moved += f" ({change_percent(percent)})"
    price.metric(f"Price · {currency}", money(quote["price"]), moved, border=True)
    previous.metric("Previous close", shown(quote["previous_close"]), border=True)
    opened.metric("Open", shown(quote["open"]), border=True)
    volume = quote["volume"]
    traded.metric("Volume", EMPTY if pd.isna(volume) else f"{int(volume):,}", border=True)
    day, year = st.columns(2)
    low, high = quote["low"], quote["high"]
    where = (quote["price"] - low) / (high - low) if high > low else None
    range_bar(day, "Day's range", low, high, where)
    if year_range := data.year_ranges.get(symbol):
        in_year = year_range.position(quote["price"])
        where_in_year = None if in_year is None else in_year / 100
        range_bar(year, "52-week range", year_range.low, year_range.high, where_in_year)
    else:
        year.caption("52-week range: once the scheduler has fetched a year of daily history.")
    facts = [f"{quote['data_class'] or 'unknown'} prices"]
    if made := market_time_text(quote["market_time"], quote["latest_trading_day"], zone):
        facts.append(f"price time {made}")
    facts.append(f"fetched {age_text(quote['fetched_at'], now)}")
    st.caption(" · ".join(facts))
    if problem := data.problems.get(symbol):
        st.warning(f"The last fetch failed: {problem}. The price above is the last good one.")
    if report := data.earnings.get(symbol):
        details = [] if report.estimate is None else [f"EPS estimate {money(report.estimate)}"]
        if report.fiscal_end is not None:
            details.append(f"for the quarter ending {report.fiscal_end:%-d %b %Y}")
        with st.container(horizontal=True, key="earnings", vertical_alignment="center"):
            st.badge(earnings.badge(report, data.as_of), icon=":material/event:", color="violet")
            if details:
                st.caption(" · ".join(details))
    else:
        st.caption(
            "No earnings date known within the next 3 months: the scheduler asks the "
            "provider's calendar daily."
        )


def shown(value: float | None) -> str:
    return EMPTY if value is None or pd.isna(value) else money(value)


def range_bar(column, label: str, low: float, high: float, where: float | None) -> None:
    """A range as a bar from its low to its high, filled up to where the price stands."""
    text = f"{label}: {shown(low)} to {shown(high)}"
    if where is None or pd.isna(where):
        column.caption(text)
    else:
        column.progress(min(max(float(where), 0.0), 1.0), text=text)


live_quote()

company = company_facts(engine, symbol)
if company.empty:
    st.caption(
        "Company facts (sector, market capitalisation, P/E): once the scheduler has asked the "
        "provider, at most daily within its share of the budget."
    )
else:  # a card for each fact the provider gave
    currency = ui.symbol_currencies().get(symbol, "")
    unit = f" · {currency}" if currency and currency_label(currency) == currency else ""
    cards = [
        ("Sector", None if company.sector is None else escape_markdown(company.sector.title())),
        (
            f"Market cap{unit}",
            None if company.market_cap is None else large_money(company.market_cap),
        ),
        ("P/E (trailing)", None if company.pe_ratio is None else money(company.pe_ratio)),
    ]
    given = [(label, value) for label, value in cards if value is not None]
    for (label, value), column in zip(given, st.columns(len(given)), strict=True):
        column.metric(label, value, border=True)

span = st.segmented_control(
    "Range", list(RANGES), default="1 month", required=True, key="range", bind="query-params"
)


@st.fragment(run_every=timedelta(seconds=settings.dashboard_refresh_seconds))
def live_chart() -> None:
    with ui.showing_database_trouble():
        prices, bars = range_prices(engine, [symbol], span, utcnow())
        if prices.empty:
            st.caption("No prices recorded in this range yet.")
            return
        previous_close = ui.market_snapshot().quotes["previous_close"].get(symbol)
        figure = price_figure(prices, previous_close if span == "1 day" else None, zone, symbol)
        time_chart.draw(figure, key="symbol_price")
        if not bars.empty and bars["volume"].notna().any():
            time_chart.draw(volume_figure(bars), key="symbol_volume")


live_chart()

st.subheader("Your position")
book = book_of(engine, account.id, [symbol])
if book.empty:
    st.caption(f"You hold no {symbol}.")
    st.page_link(frame.PAGES["positions"], label="Record a lot", icon=":material/wallet:")
else:
    ui_positions.show_holdings(ui_positions.holdings_of(book))

st.subheader("Your alerts")
rules = rules_overview(engine, account.id)
mine = rules[rules["symbol"] == symbol]
for rule in mine.itertuples():
    st.markdown(f"- {escape_markdown(f'{symbol} {rule.condition}')} · {rule.state}")
if mine.empty:
    st.caption(f"No alert on {symbol} yet.")
with st.popover("New alert", icon=":material/add_alert:"):
    ui_alerts.new_rule_form(account.id, [symbol], key="symbol_alert", preset=symbol)

holding = lists_holding(engine, account.id, symbol)
st.caption(
    "On your lists: " + ", ".join(escape_markdown(name) for name in holding)
    if holding
    else "On none of your lists."
)
st.page_link(frame.PAGES["picker"], label="Change your lists", icon=":material/playlist_add:")
