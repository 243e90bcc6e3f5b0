"""What the penalty charts draw, chosen once for both renderers: matplotlib for the PDF and HTML
reports (``charts``) and the explorer's front-end widgets (``live_charts``), so they cannot disagree.

Kept apart from ``charts`` so the explorer's kernel does not import matplotlib.
"""

from __future__ import annotations

import pandas as pd

from ..engines.penalty import DISAGREEMENT
from ..formats import pct

NAME_LENGTH = 45  # characters of a unit's name on the probability chart
SELECTED_COLOUR, OTHER_COLOUR = "#c55a11", "#9db3c9"  # the style's orange, and a pale blue
UNCERTAIN_COLOUR = "#fff2cc"  # the band where resampling disagrees on a unit
RANKING_AXIS = "Enheder ordnet efter e-handelsprocent (1 = lavest); udvalgte enheder er orange"
PROBABILITY_AXIS = f"Sandsynlighed for at blive udvalgt (gult: {pct(DISAGREEMENT, 0)}-{pct(1 - DISAGREEMENT, 0)})"


def short(text: str, length: int) -> str:
    """``text`` cut to ``length`` characters at a word, with an ellipsis when cut."""
    return text if len(text) <= length else text[:length - 1].rsplit(" ", 1)[0].rstrip(",") + "…"


def ranked_units(table: pd.DataFrame, rate: str) -> pd.DataFrame:
    """The ranked units, lowest rate first: what the ranking chart draws, here and in the explorer."""
    ranked = table[table["rank"].notna()].sort_values("rank")
    return pd.DataFrame({"rank": ranked["rank"].astype(int).to_numpy(), "rate": ranked[rate].to_numpy(),
                         "selected": (ranked["status"] == "Udvalgt").to_numpy(), "name": ranked["name"].to_numpy()})


def near_cutoff(frame: pd.DataFrame, n: int, around: int = 10) -> pd.DataFrame:
    """The units ranked within ``around`` places of the cut-off, lowest rank first, each labelled
    "rank. name" (cut to a readable length): what the probability chart draws."""
    shown = frame[frame["rank"].between(n - around + 1, n + around)].sort_values("rank")
    labels = [f"{int(rank)}. {short(name, NAME_LENGTH)}" for rank, name in zip(shown["rank"], shown["name"])]
    return pd.DataFrame({"label": labels, "probability": shown["probability"].to_numpy(),
                         "selected": shown["selected"].to_numpy()})
