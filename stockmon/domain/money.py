"""How money and day changes are written, everywhere: two decimals with thousands separators
("1,234.50", "+12.30", "+1.25%").

Each surface has its own notation for the same rule: Python's format language (text, pandas
Stylers), printf for Streamlit's column formats, d3 for Plotly's axes and hovers, and
Intl.NumberFormat options for the charts drawn in the browser.
"""

from __future__ import annotations

MONEY = "{:,.2f}"
SIGNED_MONEY = "{:+,.2f}"
CHANGE_PERCENT = "{:+.2f}%"
POINTS = "{:+,.2f}"  # a signed distance in % or percentage points, unit in the column name
COLUMN_MONEY = "%,.2f"
CHART_MONEY = ",.2f"  # d3-format, for Plotly's candlesticks
BROWSER_MONEY: dict[str, object] = {"minimumFractionDigits": 2, "maximumFractionDigits": 2}
BROWSER_CHANGE_PERCENT: dict[str, object] = {**BROWSER_MONEY, "signDisplay": "always"}
# A price typed into a field: no separators (the field reads back what it shows), and four
# decimals below 1, where two would round a penny stock's price away.
INPUT_PRICE = "%.2f"
INPUT_SMALL_PRICE = "%.4f"


def price_decimals(price: float) -> int:
    """Decimals a price is entered with: 2, or 4 below 1."""
    return 2 if price >= 1 else 4


def input_format(price: float | None) -> str:
    """The format of a field a price is typed into, for a price near ``price``."""
    return INPUT_SMALL_PRICE if price is not None and price_decimals(price) == 4 else INPUT_PRICE


def money(value: float) -> str:
    """``value`` as money: "1,234.50"."""
    return MONEY.format(value)


_LARGE = ((1e12, "T"), (1e9, "B"), (1e6, "M"))


def large_money(value: float) -> str:
    """A large amount, such as a market capitalisation, short: "3.44 T", "845.20 B"."""
    for size, letter in _LARGE:
        if abs(value) >= size:
            return f"{money(value / size)} {letter}"
    return money(value)


def signed_money(value: float) -> str:
    """A gain or loss: "+1,234.50", "-3.20"."""
    return SIGNED_MONEY.format(value)


def change_percent(value: float) -> str:
    """A change in percent: "+1.25%"."""
    return CHANGE_PERCENT.format(value)


# Listings quoted in the currency's hundredth (London's pence), as providers write them.
_MINOR_UNITS = {"GBX": "pence", "GBp": "pence", "ZAc": "cents", "ILA": "agorot"}


def currency_label(code: str | None) -> str:
    """A listing's currency as people read it: "USD", "GBX (pence)"; "" when unknown."""
    if not code:
        return ""
    unit = _MINOR_UNITS.get(code) or _MINOR_UNITS.get(code.upper())
    return f"{code} ({unit})" if unit else code
