"""Quote providers: Alpha Vantage, Finnhub, and an offline demo market used when no API key is
set."""

from __future__ import annotations

from stockmon.domain.config import ProviderChoice, Settings
from stockmon.providers.alphavantage import AlphaVantageProvider
from stockmon.providers.base import (
    BatchRefused,
    FetchResult,
    HistoryProvider,
    Paused,
    ProviderError,
    ProviderUnavailable,
    QuoteData,
    QuoteProvider,
    RateLimited,
    RequestGate,
    SymbolRejected,
    no_gate,
)
from stockmon.providers.demo import DemoProvider
from stockmon.providers.finnhub import FinnhubProvider

__all__ = [
    "AlphaVantageProvider",
    "BatchRefused",
    "DemoProvider",
    "FetchResult",
    "FinnhubProvider",
    "HistoryProvider",
    "Paused",
    "ProviderError",
    "ProviderUnavailable",
    "QuoteData",
    "QuoteProvider",
    "RateLimited",
    "RequestGate",
    "SymbolRejected",
    "make_alpha_vantage",
    "make_provider",
    "no_gate",
]


def make_provider(settings: Settings, gate: RequestGate = no_gate) -> QuoteProvider:
    """The provider the settings ask for (``auto``: Alpha Vantage when its key is set, else
    Finnhub when its key is, else demo).

    ``gate`` is called before every request the provider sends (the budget, fenced).
    """
    choice = settings.effective_provider
    if choice is ProviderChoice.DEMO:
        return DemoProvider(seed=settings.demo_seed)
    if choice is ProviderChoice.FINNHUB:
        assert settings.finnhub_api_key is not None  # guaranteed by Settings validation
        return FinnhubProvider(
            settings.finnhub_api_key.get_secret_value(),
            settings.finnhub_base_url,
            gate=gate,
            timeout=settings.finnhub_timeout_seconds,
            requests_per_minute=settings.finnhub_requests_per_minute,
        )
    return make_alpha_vantage(settings, gate)


def make_alpha_vantage(settings: Settings, gate: RequestGate = no_gate) -> AlphaVantageProvider:
    """Alpha Vantage as the settings configure it (its key must be set).

    Under a daily cap a failed request is not resent at once: the pacer gives the symbol the
    next slot, and an immediate resend would spend a request the rolling window often has not
    freed yet.
    """
    assert settings.alpha_vantage_api_key is not None
    return AlphaVantageProvider(
        settings.alpha_vantage_api_key.get_secret_value(),
        settings.alpha_vantage_base_url,
        gate=gate,
        timeout=settings.alpha_vantage_timeout_seconds,
        entitlement=settings.alpha_vantage_entitlement,
        daily_cap=bool(settings.alpha_vantage_requests_per_day),
        bulk=settings.alpha_vantage_bulk_quotes,
        min_request_interval=settings.alpha_vantage_min_request_interval,
        retries=0 if settings.alpha_vantage_requests_per_day else 1,
    )
