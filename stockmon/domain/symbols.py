"""What a ticker symbol is: the one check every symbol a person, a setting or a provider
names passes before stockmon stores it or sends it anywhere."""

from __future__ import annotations

import re

# Ticker symbols as exchanges spell them: letters, digits and a few separators (BRK.B, BF-B, ^GSPC).
SYMBOL_PATTERN = re.compile(r"^[A-Z0-9^][A-Z0-9.\-=^]{0,15}$")


def normalize_symbol(raw: str) -> str:
    """Upper-case and validate one ticker symbol, or raise ``ValueError`` with the reason."""
    symbol = raw.strip().upper()
    if not SYMBOL_PATTERN.match(symbol):
        raise ValueError(f"{raw!r} is not a ticker symbol (letters, digits, '.', '-', '^', '=')")
    return symbol
