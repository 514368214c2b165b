"""CSV files people download, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by spreadsheets, so every such text cell gets a leading ``'`` (OWASP's rule for CSV
injection); numbers, negative ones and numbers written as text ("+1") included, are left as
they are.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value  # a number written as text: "-0.5"


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV, without its index, every text cell inert."""
    inert = frame.copy()
    for column in inert.columns:
        if not pd.api.types.is_numeric_dtype(inert[column]):
            inert[column] = inert[column].map(_inert)
    return inert.to_csv(index=False, lineterminator="\r\n")  # RFC 4180: a CR in text is quoted
