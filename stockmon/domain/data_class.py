"""What a stored price is: the data class a provider gives each quote, and how it is named.

The provider decides it from the plan and the answer; the app only shows it.
"""

from __future__ import annotations

from enum import StrEnum


class DataClass(StrEnum):
    REAL_TIME = "real-time"
    DELAYED = "15-min delayed"
    END_OF_DAY = "end of day"
    SIMULATED = "simulated"


# How each class reads in a sentence: "end-of-day prices".
PRICES_PHRASE = {
    DataClass.REAL_TIME: "real-time prices",
    DataClass.DELAYED: "prices delayed by 15 minutes",
    DataClass.END_OF_DAY: "end-of-day prices",
    DataClass.SIMULATED: "simulated prices",
}


def data_class_of(value: object) -> DataClass | None:
    """The class a stored value names, or None for an empty or unknown one."""
    try:
        return DataClass(str(value))
    except ValueError:
        return None
