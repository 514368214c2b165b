"""Settings from the environment and an optional ``.env`` file, validated once at start-up."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from stockmon.domain.errors import StockmonError
from stockmon.domain.symbols import normalize_symbol

PUBLIC_ALPHA_VANTAGE_URL = "https://www.alphavantage.co/query"
PUBLIC_FINNHUB_URL = "https://finnhub.io/api/v1"
PUBLIC_FINNHUB_STREAM_URL = "wss://ws.finnhub.io"


class ConfigError(StockmonError):
    """A setting has a value stockmon cannot use; the message names the variable."""


class Registration(StrEnum):
    """Who may create an account from the login page (operators always can, with the CLI)."""

    OPEN = "open"
    CLOSED = "closed"
    ALLOWLIST = "allowlist"  # e-mail addresses or domains in STOCKMON_REGISTRATION_ALLOWLIST


class Entitlement(StrEnum):
    """An Alpha Vantage premium key's quote entitlement; empty: none (the quote endpoints are
    then updated at the end of each trading day)."""

    NONE = ""
    REALTIME = "realtime"
    DELAYED = "delayed"


class ProviderChoice(StrEnum):
    AUTO = "auto"
    ALPHAVANTAGE = "alphavantage"
    FINNHUB = "finnhub"
    DEMO = "demo"


# The scheduler's cycle by provider: the demo market costs nothing, so it moves often; a
# Finnhub cycle spends a few of its 60 requests a minute; Alpha Vantage paces a daily cap.
DEFAULT_REFRESH_SECONDS = {
    ProviderChoice.DEMO: 10,
    ProviderChoice.FINNHUB: 5,
    ProviderChoice.ALPHAVANTAGE: 60,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    alpha_vantage_api_key: SecretStr | None = Field(None, alias="ALPHA_VANTAGE_API_KEY")
    alpha_vantage_base_url: str = Field(PUBLIC_ALPHA_VANTAGE_URL, alias="ALPHA_VANTAGE_BASE_URL")
    alpha_vantage_requests_per_minute: int = Field(
        5, ge=1, alias="ALPHA_VANTAGE_REQUESTS_PER_MINUTE"
    )
    alpha_vantage_requests_per_day: int = Field(
        25, ge=0, alias="ALPHA_VANTAGE_REQUESTS_PER_DAY", description="0 means no daily cap"
    )
    alpha_vantage_entitlement: Entitlement = Field(
        Entitlement.NONE,
        alias="ALPHA_VANTAGE_ENTITLEMENT",
        description="realtime or delayed (premium keys); empty: end-of-day quotes",
    )
    alpha_vantage_bulk_quotes: bool = Field(False, alias="ALPHA_VANTAGE_BULK_QUOTES")
    alpha_vantage_timeout_seconds: float = Field(10.0, gt=0, alias="ALPHA_VANTAGE_TIMEOUT_SECONDS")
    alpha_vantage_min_request_interval: float = Field(
        1.0, ge=0, alias="ALPHA_VANTAGE_MIN_REQUEST_INTERVAL"
    )

    finnhub_api_key: SecretStr | None = Field(None, alias="FINNHUB_API_KEY")
    finnhub_base_url: str = Field(PUBLIC_FINNHUB_URL, alias="FINNHUB_BASE_URL")
    finnhub_ws_url: str = Field(
        PUBLIC_FINNHUB_STREAM_URL, alias="FINNHUB_WS_URL", description="the trade stream"
    )
    finnhub_requests_per_minute: int = Field(
        60, ge=1, le=1_800, alias="FINNHUB_REQUESTS_PER_MINUTE", description="30 a second kept too"
    )
    finnhub_timeout_seconds: float = Field(10.0, gt=0, alias="FINNHUB_TIMEOUT_SECONDS")
    stream_point_seconds: float = Field(
        5.0,
        gt=0,
        le=3_600,
        alias="STOCKMON_STREAM_POINT_SECONDS",
        description="streamed trades add a history point at most this often per symbol",
    )

    port: int = Field(
        8501, ge=1, le=65_535, alias="STOCKMON_PORT", description="where ./run.sh serves the app"
    )
    provider: ProviderChoice = Field(
        ProviderChoice.AUTO,
        alias="STOCKMON_PROVIDER",
        description="auto: Alpha Vantage with its key, else Finnhub with its key, else demo",
    )
    database_url: str = Field(
        "",
        alias="STOCKMON_DATABASE_URL",
        description="default: a SQLite file in data_dir",
        validate_default=False,  # unset: filled in by _complete
    )
    refresh_seconds: int = Field(
        0,
        validate_default=False,  # unset: filled in by _complete
        ge=1,
        le=86_400,
        alias="STOCKMON_REFRESH_SECONDS",
        description="default: 10 on the demo market, 5 on Finnhub, 60 on Alpha Vantage",
    )
    leader_lease_seconds: int = Field(
        0,
        validate_default=False,  # unset: filled in by _complete
        ge=3,
        le=86_400,
        alias="STOCKMON_LEADER_LEASE_SECONDS",
        description="default: twice the refresh interval, at least 30",
    )
    market_hours: bool = Field(
        True,
        alias="STOCKMON_MARKET_HOURS",
        description="false: spend the budget around the clock, as for markets that never close",
    )
    history_days: float = Field(7.0, gt=0, le=3_650, alias="STOCKMON_HISTORY_DAYS")
    embedded_scheduler: bool = Field(False, alias="STOCKMON_EMBEDDED_SCHEDULER")
    history_budget_share: float = Field(0.2, ge=0, le=1, alias="STOCKMON_HISTORY_BUDGET_SHARE")
    symbols: Annotated[tuple[str, ...], NoDecode] = Field((), alias="STOCKMON_SYMBOLS")
    demo_seed: int | None = Field(None, alias="STOCKMON_DEMO_SEED")
    dashboard_refresh_seconds: int = Field(
        5, ge=1, le=3_600, alias="STOCKMON_DASHBOARD_REFRESH_SECONDS"
    )
    query_timeout_seconds: float = Field(5.0, gt=0, le=600, alias="STOCKMON_QUERY_TIMEOUT_SECONDS")
    db_pool_size: int = Field(5, ge=1, le=100, alias="STOCKMON_DB_POOL_SIZE")
    app_log_level: str = Field("WARNING", alias="STOCKMON_APP_LOG_LEVEL")
    cookie_key: SecretStr | None = Field(None, alias="STOCKMON_COOKIE_KEY")
    secret_key: SecretStr | None = Field(
        None, alias="STOCKMON_SECRET_KEY", description="encrypts notification URLs"
    )
    registration: Registration = Field(Registration.OPEN, alias="STOCKMON_REGISTRATION")
    registration_allowlist: Annotated[tuple[str, ...], NoDecode] = Field(
        (), alias="STOCKMON_REGISTRATION_ALLOWLIST"
    )
    data_dir: Path = Field(Path("data"), alias="STOCKMON_DATA_DIR")
    notify_allow_private: bool = Field(
        False,
        alias="STOCKMON_NOTIFY_ALLOW_PRIVATE",
        description="true: notifications may go to loopback, private and link-local addresses",
    )
    notify_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (), alias="STOCKMON_NOTIFY_ALLOWED_HOSTS", description="host names or CIDR networks"
    )
    notify_schemes: Annotated[tuple[str, ...], NoDecode] = Field(
        (), alias="STOCKMON_NOTIFY_SCHEMES", description="Apprise schemes allowed besides"
    )

    @field_validator("symbols", mode="before")
    @classmethod
    def _split_symbols(cls, value: Any) -> tuple[str, ...]:
        parts = value.split(",") if isinstance(value, str) else list(value or ())
        symbols = [normalize_symbol(part) for part in parts if str(part).strip()]
        return tuple(dict.fromkeys(symbols))

    @field_validator("notify_allowed_hosts", "notify_schemes", mode="before")
    @classmethod
    def _split_words(cls, value: Any) -> tuple[str, ...]:
        parts = value.split(",") if isinstance(value, str) else list(value or ())
        words = [str(part).strip().lower() for part in parts if str(part).strip()]
        for word in words:
            if not re.fullmatch(r"[a-z0-9.:/\-_\[\]]+", word):
                raise ValueError(f"{word!r} is not a host name, network or scheme")
        return tuple(dict.fromkeys(words))

    @field_validator("registration_allowlist", mode="before")
    @classmethod
    def _split_allowlist(cls, value: Any) -> tuple[str, ...]:
        parts = value.split(",") if isinstance(value, str) else list(value or ())
        entries = [str(part).strip().lower().lstrip("@") for part in parts if str(part).strip()]
        for entry in entries:
            if not re.fullmatch(r"[^@\s]+(@[^@\s]+\.[^@\s]+)?|[^@\s]+\.[^@\s]+", entry):
                raise ValueError(f"{entry!r} is neither an e-mail address nor a domain")
        return tuple(dict.fromkeys(entries))

    @field_validator("app_log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator(
        "alpha_vantage_api_key", "finnhub_api_key", "cookie_key", "secret_key", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("alpha_vantage_entitlement", mode="before")
    @classmethod
    def _entitlement_words(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("cookie_key", "secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("alpha_vantage_base_url", "finnhub_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("finnhub_ws_url")
    @classmethod
    def _websocket_url(cls, value: str) -> str:
        if not re.match(r"^wss?://[^\s/?#]+[^\s?#]*$", value):
            raise ValueError("must be a ws:// or wss:// URL without a query")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Settings:
        chosen = self.model_fields_set
        if "database_url" not in chosen:
            self.database_url = f"sqlite:///{self.data_dir / 'stockmon.db'}"
        if "refresh_seconds" not in chosen:  # a cycle paces a budget: short without a daily cap
            self.refresh_seconds = DEFAULT_REFRESH_SECONDS[self.effective_provider]
        if "leader_lease_seconds" not in chosen:
            self.leader_lease_seconds = max(30, 2 * self.refresh_seconds)
        if self.registration is Registration.ALLOWLIST and not self.registration_allowlist:
            raise ValueError(
                "STOCKMON_REGISTRATION=allowlist needs STOCKMON_REGISTRATION_ALLOWLIST "
                "(e-mail domains or addresses, comma-separated)"
            )
        for choice, key, variable in (
            (ProviderChoice.ALPHAVANTAGE, self.alpha_vantage_api_key, "ALPHA_VANTAGE_API_KEY"),
            (ProviderChoice.FINNHUB, self.finnhub_api_key, "FINNHUB_API_KEY"),
        ):
            if self.provider is choice and key is None:
                raise ValueError(
                    f"STOCKMON_PROVIDER={choice.value} needs {variable} "
                    "(or use STOCKMON_PROVIDER=demo)"
                )
        return self

    @property
    def effective_provider(self) -> ProviderChoice:
        """``auto`` resolved: Alpha Vantage when its key is set (the default real provider),
        else Finnhub when its key is, else the offline demo market."""
        if self.provider is not ProviderChoice.AUTO:
            return self.provider
        if self.alpha_vantage_api_key is not None:
            return ProviderChoice.ALPHAVANTAGE
        if self.finnhub_api_key is not None:
            return ProviderChoice.FINNHUB
        return ProviderChoice.DEMO

    @property
    def keys_set(self) -> list[ProviderChoice]:
        """The real providers whose keys are set."""
        keys = {
            ProviderChoice.ALPHAVANTAGE: self.alpha_vantage_api_key,
            ProviderChoice.FINNHUB: self.finnhub_api_key,
        }
        return [choice for choice, key in keys.items() if key is not None]


_SECRET_FIELDS = {
    "ALPHA_VANTAGE_API_KEY",
    "FINNHUB_API_KEY",
    "STOCKMON_COOKIE_KEY",
    "STOCKMON_SECRET_KEY",
}


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        shown = "" if name in _SECRET_FIELDS or not item["loc"] else f" (got {item['input']!r})"
        lines.append(f"{name}: {message}{shown}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise ``ConfigError`` with one line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
