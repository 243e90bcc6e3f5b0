"""The explorer's two charts as front-end widgets (bqplot): a slider move replaces their data
instead of drawing a new picture, so the browser redraws in milliseconds.

They draw what the report's matplotlib charts draw (``chart_data.ranked_units`` and
``chart_data.near_cutoff`` choose the data for both), so the explorer and the PDF cannot disagree.
Axes are in whole percent because bqplot's number formats are English (d3): "40" reads the same
in Danish, "0.4" or "40%" does not.
"""

from __future__ import annotations

import bqplot as bq
import ipywidgets as w
import pandas as pd

from ..engines.penalty import DISAGREEMENT
from ..formats import pct
from .chart_data import (OTHER_COLOUR, PROBABILITY_AXIS, RANKING_AXIS, SELECTED_COLOUR, UNCERTAIN_COLOUR, near_cutoff,
                         ranked_units)

MARGIN = {"top": 50, "bottom": 50, "left": 55, "right": 15}


def _selection_colours() -> bq.ColorScale:
    """0 → a pale blue, 1 → orange: bars coloured by their ``color`` data (1 = selected)."""
    return bq.ColorScale(colors=[OTHER_COLOUR, SELECTED_COLOUR], min=0.0, max=1.0)


def _figure(marks: list, axes: list, height: int, margin: dict[str, int] | None = None) -> bq.Figure:
    return bq.Figure(marks=marks, axes=axes, fig_margin=margin or MARGIN, animation_duration=0,
                     padding_x=0.0, padding_y=0.0,
                     layout=w.Layout(width="100%", min_width="320px", height=f"{height}px"))


class RankingChart:
    """Every ranked unit's rate, lowest first, the selected ones orange, the cut-off dashed."""

    def __init__(self) -> None:
        x, y = bq.LinearScale(min=0.0), bq.LinearScale(min=0.0, max=100.0)
        # Whole percent in the tooltip too: d3 would write one decimal with a point (12.3), not 12,3.
        self.bars = bq.Bars(x=[], y=[], color=[], scales={"x": x, "y": y, "color": _selection_colours()}, padding=0.15,
                            tooltip=bq.Tooltip(fields=["x", "y"], formats=["d", ".0f"], labels=["Nr.", "Procent"]))
        self.cutoff = bq.Lines(x=[0, 1], y=[0, 0], scales={"x": x, "y": y}, colors=[SELECTED_COLOUR],
                               line_style="dashed", stroke_width=1)
        # The label sits at the left, above the selected units' low bars (at the right it met tall ones).
        self.label = bq.Label(x=[0.5], y=[0], text=[""], scales={"x": x, "y": y}, colors=[SELECTED_COLOUR],
                              align="start", y_offset=-6, default_size=12)
        self.x, self.y = x, y
        axes = [bq.Axis(scale=x, label=RANKING_AXIS, tick_format="d", grid_lines="none"),
                bq.Axis(scale=y, orientation="vertical", label="E-handelsprocent", tick_format="d",
                        grid_lines="solid", label_offset="40px")]
        self.widget = _figure([self.bars, self.cutoff, self.label], axes, 320)

    def update(self, table: pd.DataFrame, rate: str, cutoff: float, title: str) -> None:
        ranked = ranked_units(table, rate)
        end = len(ranked) + 1
        with self.widget.hold_sync(), self.bars.hold_sync(), self.cutoff.hold_sync(), self.label.hold_sync():
            self.x.max = float(end)
            self.bars.x, self.bars.y = ranked["rank"].to_numpy(), (ranked["rate"] * 100).to_numpy()
            self.bars.color = ranked["selected"].astype(float).to_numpy()
            self.cutoff.x, self.cutoff.y = [0, end], [cutoff * 100] * 2
            self.label.y, self.label.text = [cutoff * 100], [f"Afskæring: {pct(cutoff)}"]
            self.widget.title = title


class ProbabilityChart:
    """The probability of selection for the units around the cut-off, the uncertain band yellow."""

    def __init__(self) -> None:
        x, names, band = bq.LinearScale(min=0.0, max=100.0), bq.OrdinalScale(reverse=True), bq.LinearScale(min=0, max=1)
        self.band = bq.Lines(x=[DISAGREEMENT * 100, (1 - DISAGREEMENT) * 100], y=[1, 1], fill="bottom",
                             fill_colors=[UNCERTAIN_COLOUR], colors=[UNCERTAIN_COLOUR],
                             scales={"x": x, "y": band})
        self.bars = bq.Bars(x=[], y=[], color=[], orientation="horizontal", padding=0.3,
                            scales={"x": names, "y": x, "color": _selection_colours()})
        axes = [bq.Axis(scale=x, label=PROBABILITY_AXIS, tick_format="d", grid_lines="solid"),
                bq.Axis(scale=names, orientation="vertical", grid_lines="none")]
        self.widget = _figure([self.band, self.bars], axes, 380, {**MARGIN, "left": 290})

    def update(self, frame: pd.DataFrame, n: int, title: str) -> None:
        shown = near_cutoff(frame, n)
        with self.widget.hold_sync(), self.bars.hold_sync():
            self.bars.x, self.bars.y = list(shown["label"]), (shown["probability"] * 100).to_numpy()
            self.bars.color = shown["selected"].astype(float).to_numpy()
            self.widget.title = title
