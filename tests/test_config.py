import subprocess
import sys
from pathlib import Path

import pytest

from stockmon.domain.config import ConfigError, ProviderChoice, load_settings
from tests.conftest import subprocess_environment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Settings come only from what each test sets (no stray .env or variables)."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "ALPHA_VANTAGE_API_KEY",
        "ALPHA_VANTAGE_BASE_URL",
        "FINNHUB_API_KEY",
        "FINNHUB_BASE_URL",
        "FINNHUB_WS_URL",
        "STOCKMON_PROVIDER",
        "STOCKMON_DATABASE_URL",
        "STOCKMON_SYMBOLS",
        "STOCKMON_REFRESH_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_run_the_demo_market_on_sqlite():
    settings = load_settings()
    assert settings.effective_provider is ProviderChoice.DEMO
    assert settings.database_url == "sqlite:///data/stockmon.db"
    assert settings.alpha_vantage_requests_per_minute == 5
    assert settings.alpha_vantage_requests_per_day == 25
    assert settings.alpha_vantage_base_url == "https://www.alphavantage.co/query"
    assert settings.refresh_seconds == 10


def test_alpha_vantage_refreshes_every_minute_by_default(monkeypatch):
    monkeypatch.setenv("ALPHA_VANTAGE_API_KEY", "abc")
    assert load_settings().refresh_seconds == 60


def test_a_key_switches_auto_to_alpha_vantage(monkeypatch):
    monkeypatch.setenv("ALPHA_VANTAGE_API_KEY", "abc")
    assert load_settings().effective_provider is ProviderChoice.ALPHAVANTAGE
    monkeypatch.setenv("STOCKMON_PROVIDER", "demo")
    assert load_settings().effective_provider is ProviderChoice.DEMO


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text(
        "STOCKMON_SYMBOLS=msft, aapl,MSFT\nSTOCKMON_REFRESH_SECONDS=30\n"
    )
    settings = load_settings()
    assert settings.symbols == ("MSFT", "AAPL")
    assert settings.refresh_seconds == 30


def port_command(folder: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """``python -m stockmon port``, the way ``./run.sh`` asks, started in ``folder``."""
    env = subprocess_environment(PYTHONPATH=str(ROOT), **settings)
    return subprocess.run(
        [sys.executable, "-m", "stockmon", "port"], cwd=folder, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_run_command_serves_on_the_port_in_dotenv(tmp_path):
    """./run.sh once ignored STOCKMON_PORT in .env and served on 8501."""
    assert port_command(tmp_path).stdout.strip() == "8501"
    (tmp_path / ".env").write_text("STOCKMON_PORT=8642\n")
    assert port_command(tmp_path).stdout.strip() == "8642"
    assert port_command(tmp_path, STOCKMON_PORT="8700").stdout.strip() == "8700"  # env first
    (tmp_path / ".env").write_text("STOCKMON_PORT=eighty\n")
    garbled = port_command(tmp_path)
    assert garbled.returncode == 2 and "STOCKMON_PORT" in garbled.stderr
    assert "Traceback" not in garbled.stderr
    assert "port=$(.venv/bin/python -m stockmon port)" in (ROOT / "run.sh").read_text()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("STOCKMON_REFRESH_SECONDS", "soon", "STOCKMON_REFRESH_SECONDS"),
        ("STOCKMON_REFRESH_SECONDS", "0", "greater than or equal to 1"),
        ("STOCKMON_PROVIDER", "yahoo", "STOCKMON_PROVIDER"),
        ("STOCKMON_DATABASE_URL", "mysql://x/y", "sqlite://"),
        ("ALPHA_VANTAGE_BASE_URL", "ftp://example", "http"),
        ("ALPHA_VANTAGE_REQUESTS_PER_MINUTE", "-3", "ALPHA_VANTAGE_REQUESTS_PER_MINUTE"),
        ("STOCKMON_SYMBOLS", "AAPL,<script>alert(1)</script>", "not a ticker symbol"),
        ("STOCKMON_PORT", "99999", "less than or equal to 65535"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert expected in str(raised.value)
    assert name in str(raised.value)


def test_alpha_vantage_without_key_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("STOCKMON_PROVIDER", "alphavantage")
    with pytest.raises(ConfigError, match="needs ALPHA_VANTAGE_API_KEY"):
        load_settings()


def test_a_finnhub_key_alone_chooses_finnhub_every_five_seconds(monkeypatch):
    monkeypatch.setenv("FINNHUB_API_KEY", "fh-key")
    settings = load_settings()
    assert settings.effective_provider is ProviderChoice.FINNHUB
    assert settings.refresh_seconds == 5
    assert settings.keys_set == [ProviderChoice.FINNHUB]


def test_with_both_keys_alpha_vantage_is_the_default_and_the_setting_chooses(monkeypatch):
    monkeypatch.setenv("FINNHUB_API_KEY", "fh-key")
    monkeypatch.setenv("ALPHA_VANTAGE_API_KEY", "av-key")
    assert load_settings().effective_provider is ProviderChoice.ALPHAVANTAGE
    monkeypatch.setenv("STOCKMON_PROVIDER", "finnhub")
    settings = load_settings()
    assert settings.effective_provider is ProviderChoice.FINNHUB
    assert settings.keys_set == [ProviderChoice.ALPHAVANTAGE, ProviderChoice.FINNHUB]


def test_finnhub_without_key_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("STOCKMON_PROVIDER", "finnhub")
    with pytest.raises(ConfigError, match="needs FINNHUB_API_KEY"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FINNHUB_BASE_URL", "ftp://finnhub.io"),
        ("FINNHUB_WS_URL", "https://ws.finnhub.io"),
        ("FINNHUB_WS_URL", "wss://ws.finnhub.io?token=abc"),
        ("FINNHUB_REQUESTS_PER_MINUTE", "0"),
    ],
)
def test_bad_finnhub_settings_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_a_finnhub_key_never_appears_in_errors_or_repr(monkeypatch):
    monkeypatch.setenv("FINNHUB_API_KEY", "FHSECRET")
    monkeypatch.setenv("FINNHUB_REQUESTS_PER_MINUTE", "many")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "FHSECRET" not in str(raised.value)
    monkeypatch.delenv("FINNHUB_REQUESTS_PER_MINUTE")
    assert "FHSECRET" not in repr(load_settings())


def test_the_key_never_appears_in_errors_or_repr(monkeypatch):
    monkeypatch.setenv("ALPHA_VANTAGE_API_KEY", "SUPERSECRET")
    monkeypatch.setenv("STOCKMON_REFRESH_SECONDS", "x")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "SUPERSECRET" not in str(raised.value)
    monkeypatch.delenv("STOCKMON_REFRESH_SECONDS")
    assert "SUPERSECRET" not in repr(load_settings())


def test_a_short_cookie_key_is_refused(monkeypatch):
    monkeypatch.setenv("STOCKMON_COOKIE_KEY", "too-short")
    with pytest.raises(ConfigError, match="STOCKMON_COOKIE_KEY: must be at least 32 characters"):
        load_settings()
