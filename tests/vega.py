"""The Vega-Lite charts a page drew, as AppTest sees them: each one's spec and its data."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa


@dataclass(frozen=True)
class VegaChart:
    spec: dict
    datasets: dict[str, pd.DataFrame]

    @property
    def data(self) -> pd.DataFrame:
        """Every row the chart was given, whichever layer draws it."""
        return pd.concat(self.datasets.values(), ignore_index=True)

    def text(self) -> str:
        """The spec and the data as one string, to look for a label in."""
        return json.dumps(self.spec) + self.data.to_csv()


def vega_charts(at) -> list[VegaChart]:
    charts = []
    for element in at.get("vega_lite_chart"):
        proto = element.proto
        datasets = {
            named.name: pa.ipc.open_stream(named.data.data).read_pandas()
            for named in proto.datasets
        }
        charts.append(VegaChart(json.loads(proto.spec), datasets))
    return charts
