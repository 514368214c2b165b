"""The time charts a page drew, as AppTest sees them: what each one gives the browser."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class DrawnChart:
    given: dict

    @property
    def data(self) -> pd.DataFrame:
        """One row per point: the series' label, its time (as the chart is given it: the
        person's wall-clock time written as UTC) and its value; gaps left out."""
        times = pd.to_datetime(self.given["times"], unit="s", utc=True)
        rows = [
            pd.DataFrame({"label": line["label"], "time": times, "value": line["values"]})
            for line in self.given["series"]
        ]
        return pd.concat(rows, ignore_index=True).dropna(subset=["value"])

    @property
    def colors(self) -> dict[str, str]:
        return {line["label"]: line["color"] for line in self.given["series"]}

    def text(self) -> str:
        """Everything given, as one string, to look for a label in."""
        return json.dumps(self.given)


def drawn_charts(at) -> list[DrawnChart]:
    return [
        DrawnChart(json.loads(element.proto.json))
        for element in at.get("bidi_component")
        if element.proto.component_name == "stockmon.time_chart"
    ]
