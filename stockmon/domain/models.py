"""The database tables. Schema changes go through the Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from stockmon.domain.alert_kinds import EARNINGS_KINDS_SQL, YEAR_KINDS_SQL


def utcnow() -> datetime:
    return datetime.now(UTC)


class Quote(SQLModel, table=True):
    """The latest known quote of one symbol; the scheduler upserts it, the app reads it."""

    __tablename__ = "quotes"

    symbol: str = Field(primary_key=True, max_length=16)
    price: float
    open: float | None = None
    high: float | None = None
    low: float | None = None
    previous_close: float | None = None
    change: float | None = None
    change_percent: float | None = Field(default=None, description="1.23 means 1.23 %")
    volume: int | None = Field(default=None, sa_type=BigInteger)
    latest_trading_day: date | None = None
    fetched_at: datetime
    data_class: str | None = Field(
        None, max_length=16, description="real-time, 15-min delayed, end of day, simulated"
    )
    market_time: datetime | None = Field(
        None, description="when the price was made, where the provider says (else only the day)"
    )


class PriceHistory(SQLModel, table=True):
    """One observed price per symbol and fetch time: the series behind sparklines and charts.

    Keyed by (symbol, ts) so that "these symbols since then" is one range scan that never
    visits other rows: SQLite stores the table clustered on the key (WITHOUT ROWID), PostgreSQL
    carries the price in the key's index (INCLUDE) for index-only scans.
    """

    __tablename__ = "price_history"
    __table_args__ = (
        PrimaryKeyConstraint("symbol", "ts", name="pk_price_history", postgresql_include=["price"]),
        {"sqlite_with_rowid": False},
    )

    symbol: str = Field(max_length=16)
    ts: datetime
    price: float
    volume: int | None = Field(default=None, sa_type=BigInteger)


class Symbol(SQLModel, table=True):
    """The catalog the stock picker offers: the shipped list, and what people's searches
    found (with the provider's details of the listing)."""

    __tablename__ = "symbols"

    symbol: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)
    exchange: str = Field(default="", max_length=32)
    currency: str = Field(default="USD", max_length=8)
    kind: str | None = Field(default=None, max_length=32, description="Equity, ETF, ...")
    region: str | None = Field(default=None, max_length=64)
    market_open: str | None = Field(default=None, max_length=8, description="local time, 09:30")
    market_close: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(
        default=None, max_length=16, description="as the provider says: UTC-04"
    )
    year_low: float | None = Field(
        default=None, description="the provider's 52-week low (OVERVIEW)"
    )
    year_high: float | None = Field(default=None, description="the provider's 52-week high")
    sector: str | None = Field(default=None, max_length=64, description="as the provider says")
    market_cap: float | None = Field(default=None, description="in the listing's currency")
    pe_ratio: float | None = Field(default=None, description="price over trailing earnings")
    overview_at: datetime | None = Field(
        default=None, description="when the range and the facts were fetched"
    )
    profile_at: datetime | None = Field(
        default=None, description="when the provider last described a listing a search found"
    )


class EarningsReport(SQLModel, table=True):
    """A tracked symbol's next earnings report as the provider's calendar gave it, written by
    the scheduler at most daily; no ``report_day``: the calendar had none within its horizon."""

    __tablename__ = "earnings"

    symbol: str = Field(primary_key=True, max_length=16)
    report_day: date | None = None
    report_time: str = Field(
        default="", max_length=24, description="a ReportTime (stockmon.domain.earnings)"
    )
    fiscal_end: date | None = Field(default=None, description="the quarter it reports on")
    estimate: float | None = Field(default=None, description="estimated earnings per share")
    checked_at: datetime = Field(description="when the calendar was asked for it")
    error: str | None = Field(
        default=None, max_length=300, description="why the last ask failed (what is kept stays)"
    )


class SymbolSearch(SQLModel, table=True):
    """A person's search for listings beyond the catalog: written by the app, answered by the
    leading scheduler (one provider request), kept a week so the same words cost nothing."""

    __tablename__ = "symbol_searches"
    __table_args__ = (Index("ix_symbol_searches_answered_at", "answered_at"),)

    id: int | None = Field(default=None, primary_key=True)
    keywords: str = Field(max_length=40)
    requested_at: datetime
    answered_at: datetime | None = None
    found: int | None = Field(default=None, description="listings in the answer")
    error: str | None = Field(default=None, max_length=300, description="why there is no answer")


class FetchStatus(SQLModel, table=True):
    """Per-symbol scheduler bookkeeping: last attempt, last success, last error, back-off."""

    __tablename__ = "fetch_status"

    symbol: str = Field(primary_key=True, max_length=16)
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    rejection: str | None = Field(
        None, max_length=100, description="why the provider rejects the symbol (latest answer)"
    )
    consecutive_failures: int = 0
    retry_after: datetime | None = Field(default=None, description="no attempt before this time")
    history_attempt_at: datetime | None = Field(
        default=None, description="last daily-history backfill"
    )
    history_loaded_at: datetime | None = Field(default=None, description="when its history arrived")
    history_error: str | None = Field(default=None, max_length=300)


FULL_YEAR_BARS = 240  # fewer daily bars than this in a year: the provider's range fills in


class DailyBar(SQLModel, table=True):
    """One symbol's trading day: fetched once as history, then kept current from its quotes."""

    __tablename__ = "daily_bars"

    symbol: str = Field(primary_key=True, max_length=16)
    day: date = Field(primary_key=True)
    open: float
    high: float
    low: float
    close: float
    volume: int | None = Field(default=None, sa_type=BigInteger)


class ApiRequest(SQLModel, table=True):
    """One row per request sent to a rate-limited provider; the budget counts these."""

    __tablename__ = "api_requests"
    __table_args__ = (Index("ix_api_requests_provider_sent_at", "provider", "sent_at"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=32)
    sent_at: datetime
    leader_token: int | None = Field(default=None, description="the lease token of the sender")


class SchedulerState(SQLModel, table=True):
    """Small key/value facts the scheduler keeps across restarts (e.g. a provider's block)."""

    __tablename__ = "scheduler_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=500)
    updated_at: datetime


MAX_TRACKED_SYMBOLS = "max_tracked_symbols"  # admin-set: symbols everyone's picks may span
MAX_PICKS_PER_USER = "max_picks_per_user"  # admin-set: symbols one person may pick


class AppSetting(SQLModel, table=True):
    """Settings an admin changes at run time (``python -m stockmon limits``), for every replica."""

    __tablename__ = "app_settings"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=500)
    updated_at: datetime


class LeaderLease(SQLModel, table=True):
    """Who runs the refresh cycles: one holder at a time, until ``expires_at`` unless renewed.

    ``token`` grows with every change of holder; writes fenced by the lease check it, so a
    deposed leader's late writes are refused.
    """

    __tablename__ = "leader_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=128)
    token: int
    expires_at: datetime


# scheduler_state keys: what the scheduler writes down for the app to read
LAST_CYCLE_AT = "scheduler.last_cycle_at"
LAST_CYCLE_SUMMARY = "scheduler.last_cycle_summary"
PROVIDER_NAME = "scheduler.provider"
REFRESH_INTERVAL_SECONDS = "scheduler.refresh_interval_seconds"
MARKET_HOURS = "scheduler.market_hours"  # "true": the interval counts trading time only
LEADER = "scheduler.leader"
VERSION = "scheduler.version"
LIMIT_PER_MINUTE = "scheduler.limit_per_minute"  # the provider's limits it paces by; "" none
LIMIT_PER_DAY = "scheduler.limit_per_day"
PROVIDER_PLAN = "scheduler.provider_plan"  # "free plan", "premium plan", "offline demo market"
DATA_CLASS = "scheduler.data_class"  # what the plan's quotes are (stockmon.domain.data_class)
NEXT_SYMBOL = "scheduler.next_symbol"  # the symbol the next paced request goes to; "" none
NEXT_AT = "scheduler.next_at"  # about when (ISO 8601, UTC); "" unknown
TRACKED = "scheduler.tracked"  # how many symbols the last cycle tracked
TROUBLE = "scheduler.database_trouble"  # what failed the scheduler's last write (db_trouble); ""
TROUBLE_AT = "scheduler.database_trouble_at"  # when (ISO 8601, UTC)
DAILY_HISTORY = "scheduler.daily_history"  # the provider of daily bars; "" none
STREAM_STATE = "stream.state"  # a StreamState; absent: no stream
STREAM_SINCE = "stream.connected_since"  # ISO 8601, UTC; "" not connected
STREAM_SYMBOLS = "stream.symbols"  # how many symbols it follows
STREAM_TRADES_MINUTE = "stream.trades_last_minute"
STREAM_ERROR = "stream.last_error"  # in words, redacted; "" none since the last connection


class StreamState(StrEnum):
    """What the trade stream is doing, as the scheduler writes it under ``STREAM_STATE``."""

    OFF = "off"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


# written by the app for an admin: the leading scheduler runs a cycle at once when it sees a
# request newer than its last one
CYCLE_REQUESTED_AT = "app.cycle_requested_at"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=100)
    created_at: datetime
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA name; None: the browser's"
    )
    is_admin: bool = False
    table_columns: str | None = Field(
        default=None, max_length=400, description="the dashboard's columns, comma-separated"
    )
    sessions_valid_after: datetime | None = Field(
        None, description="logins from before this moment are ended (password change, log out)"
    )


class Login(SQLModel, table=True):
    """One login (a browser's login cookie names it): "Log out" deletes it, so a copied cookie
    stops working on every replica at its next run."""

    __tablename__ = "logins"
    __table_args__ = (Index("ix_logins_user_id", "user_id"),)

    id: str = Field(primary_key=True, max_length=43, description="random, URL-safe")
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    started_at: datetime


class RetryRequest(SQLModel, table=True):
    """An admin's "Retry now" for a failing symbol: the leading scheduler ends its back-off at
    its next cycle, inside a fenced write, and deletes the request."""

    __tablename__ = "retry_requests"

    symbol: str = Field(primary_key=True, max_length=16)
    requested_at: datetime


class LoginFailure(SQLModel, table=True):
    """One failed login for a username (existing or not): the throttle counts these, in the
    database, so it holds across app replicas."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_at", "username", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    at: datetime


class Watchlist(SQLModel, table=True):
    """One person's named list of symbols ("Tech", "Dividends"), in the order they chose."""

    __tablename__ = "watchlists"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_watchlists_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    name: str = Field(max_length=40)
    position: int = 0
    created_at: datetime


class WatchlistItem(SQLModel, table=True):
    """One symbol on one list. The scheduler tracks every symbol on anyone's list."""

    __tablename__ = "watchlist_items"
    __table_args__ = (Index("ix_watchlist_items_symbol", "symbol"),)

    watchlist_id: int = Field(
        sa_column=Column(Integer, ForeignKey("watchlists.id", ondelete="CASCADE"), primary_key=True)
    )
    symbol: str = Field(primary_key=True, max_length=16)
    position: int = 0
    added_at: datetime


class Lot(SQLModel, table=True):
    """One purchase a person holds: so many shares of a symbol, bought on a day at a price
    (in the listing's currency), with fees."""

    __tablename__ = "lots"
    __table_args__ = (
        Index("ix_lots_user_symbol", "user_id", "symbol"),
        UniqueConstraint("user_id", "import_key", name="uq_lots_user_import_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    symbol: str = Field(max_length=16)
    bought_on: date
    quantity: float
    price: float = Field(description="paid per share, in the listing's currency")
    fees: float = 0.0
    created_at: datetime
    import_key: str | None = Field(
        default=None, max_length=80, description="the imported CSV row it came from, if any"
    )


class Sale(SQLModel, table=True):
    """One sale of so many shares of a symbol on a day at a price, with fees; which lots it
    sold is worked out first in, first out (``stockmon.domain.gains``)."""

    __tablename__ = "sales"
    __table_args__ = (
        Index("ix_sales_user_symbol", "user_id", "symbol"),
        UniqueConstraint("user_id", "import_key", name="uq_sales_user_import_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    symbol: str = Field(max_length=16)
    sold_on: date
    quantity: float
    price: float = Field(description="received per share, in the listing's currency")
    fees: float = 0.0
    created_at: datetime
    import_key: str | None = Field(
        default=None, max_length=80, description="the imported CSV row it came from, if any"
    )


class AlertRule(SQLModel, table=True):
    """One person's price alert on one symbol; ``armed`` until it fires, again once the
    condition has turned false (beyond a margin) on a later quote."""

    __tablename__ = "alert_rules"
    __table_args__ = (
        Index("ix_alert_rules_symbol", "symbol"),
        # whether any 52-week (or earnings) rule exists is one seek; partial, so no other plan
        # changes
        Index(
            "ix_alert_rules_year_kinds",
            "kind",
            sqlite_where=text(YEAR_KINDS_SQL),
            postgresql_where=text(YEAR_KINDS_SQL),
        ),
        Index(
            "ix_alert_rules_earnings_kinds",
            "kind",
            sqlite_where=text(EARNINGS_KINDS_SQL),
            postgresql_where=text(EARNINGS_KINDS_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    symbol: str = Field(max_length=16)
    kind: str = Field(max_length=16, description="a RuleKind (stockmon.domain.alert_kinds)")
    threshold: float
    note: str = Field(default="", max_length=200)
    paused: bool = False
    one_shot: bool = False
    armed: bool = True
    created_at: datetime
    last_fired_at: datetime | None = None


class AlertEvent(SQLModel, table=True):
    """One firing of a rule, written in the transaction that stored the quote behind it."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_user_seen", "user_id", "seen"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int | None = Field(
        None,
        sa_column=Column(Integer, ForeignKey("alert_rules.id", ondelete="SET NULL")),
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    symbol: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    threshold: float
    price: float
    change_percent: float | None = None
    note: str = Field(default="", max_length=200)
    quote_at: datetime
    fired_at: datetime
    seen: bool = False
    announced: bool = Field(
        default=False, description="toasted in the app (once, whatever the tabs)"
    )


class NotificationChannel(SQLModel, table=True):
    """Where one person's alerts are sent: an Apprise URL (ntfy://, mailto://, json://, ...).

    ``url`` holds secrets (tokens, passwords): it is stored encrypted (``vault``), read only
    to send, and shown as ``shown``: scheme, host and a fingerprint, nothing more.
    """

    __tablename__ = "notification_channels"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    url: str = Field(max_length=2200, description="encrypted: enc:v1: and a Fernet token")
    shown: str = Field(max_length=300)
    created_at: datetime


class AlertDelivery(SQLModel, table=True):
    """One event's delivery to one channel: pending until sent, retried with back-off."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_state_next", "state", "next_attempt_at"),)

    event_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("alert_events.id", ondelete="CASCADE"), primary_key=True
        )
    )
    channel_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("notification_channels.id", ondelete="CASCADE"), primary_key=True
        )
    )
    state: str = Field(default="pending", max_length=16, description="pending, delivered, failed")
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, max_length=300)
    delivered_at: datetime | None = None


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, typed (SQLModel's metaclass sets ``__table__`` without
    declaring it)."""
    return model.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass, untyped
