"""Charts for the reports: one style, Danish labels and number formats, sized for A4.

Each function takes the tidy DataFrame a rates function returns and gives back a matplotlib
Figure, so notebooks only call and display.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib.dates as mdates
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from IPython.display import Image, display
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..formats import number, pct
from ..paths import STYLE_DIR
from ..engines.penalty import DISAGREEMENT
from .chart_data import (OTHER_COLOUR, PROBABILITY_AXIS, RANKING_AXIS, SELECTED_COLOUR, UNCERTAIN_COLOUR, near_cutoff,
                         ranked_units)

STYLE = STYLE_DIR / "rapport.mplstyle"
TITLE_LENGTH = 75  # characters of a 9,5 pt bold title on a 6,3 in wide figure
MONTHS = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
PERCENT = FuncFormatter(lambda value, _: pct(value, 0))
POINTS = FuncFormatter(lambda value, _: number(value * 100, 0))  # a difference of rates, in points
KRONER = FuncFormatter(lambda value, _: number(value))
MIO_KRONER = FuncFormatter(lambda value, _: number(value / 1e6, 0 if abs(value) >= 1e7 or value == 0 else 1))


def use_style() -> None:
    """Apply the report style to every chart drawn after this call."""
    plt.style.use(STYLE)


def show(fig: Figure) -> None:
    """Show a chart in the notebook, and so in the report, as one embedded PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    display(Image(buffer.getvalue()), metadata={"image/png": {"alt": fig.get_suptitle() or "Diagram"}})


def _figure(title: str, height: float = 3.2) -> tuple[Figure, plt.Axes]:
    """A figure outside pyplot's registry (so a notebook shows it once), titled at its left edge;
    a title wider than the figure wraps instead of running off the page."""
    use_style()
    fig = Figure(figsize=(6.3, height))
    fig.suptitle("\n".join(textwrap.wrap(title, TITLE_LENGTH)), x=0.01, ha="left", fontsize=9.5, fontweight="bold")
    return fig, fig.subplots()


def trend(monthly: pd.DataFrame, yearly: pd.DataFrame, title: str, count_based: bool = False) -> Figure:
    """The municipality's rate per month (line) and per year (steps), with Danish month labels."""
    column = "count_rate" if count_based else "rate"
    fig, ax = _figure(title)
    months = pd.to_datetime(monthly["period"] + "-01")
    ax.plot(months, monthly[column], marker="o", markersize=2.5, linewidth=1.2, label="Måned")
    for _, row in yearly.iterrows():
        start, end = pd.Timestamp(f"{row['period']}-01-01"), pd.Timestamp(f"{row['period']}-12-31")
        ax.hlines(row[column], start, end, colors="C1", linewidth=2.2, label="Året" if _ == yearly.index[0] else None)
        ax.annotate(pct(row[column]), (start + (end - start) / 2, row[column]), textcoords="offset points",
                    xytext=(0, 5), ha="center", fontsize=8, color="C1")
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_ylim(0, max(0.1, monthly[column].max() * 1.25))
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda value, _: f"{MONTHS[mdates.num2date(value).month - 1]} {mdates.num2date(value).year}"))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.set_ylabel("E-handelsprocent")
    ax.legend(loc="upper left")
    return fig


def distribution(units: pd.DataFrame, municipality_rate: float, title: str, bins: int = 20) -> Figure:
    """How the units' rates spread, with the municipality's overall rate marked."""
    fig, ax = _figure(title)
    ax.hist(units["rate"].dropna(), bins=bins, range=(0, 1), color="C0", edgecolor="white")
    ax.axvline(municipality_rate, color="C1", linewidth=1.5)
    ax.annotate(f"Kommunen samlet: {pct(municipality_rate)}", (municipality_rate, ax.get_ylim()[1] * 0.92),
                xytext=(4, 0), textcoords="offset points", color="C1", fontsize=8)
    ax.xaxis.set_major_formatter(PERCENT)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("E-handelsprocent")
    ax.set_ylabel("Antal enheder")
    return fig


def spend_and_rate(frame: pd.DataFrame, label: str, title: str, shown: int = 25) -> Figure:
    """Eligible spend split into e-handled and not e-handled, per label, in mio. kr.; beyond
    ``shown`` rows, the smallest are one bar "Øvrige (k)", so every krone of the table is drawn."""
    if len(frame) > shown:
        kept = frame.index.isin(frame.nlargest(shown - 1, "eligible_amount").index)
        rest = frame[~kept]
        other = {label: f"Øvrige ({len(rest)})", **{column: rest[column].sum() for column in
                                                    ("ehandel_amount", "missed_amount", "eligible_amount")}}
        other["rate"] = other["ehandel_amount"] / other["eligible_amount"] if other["eligible_amount"] > 0 else 0.0
        frame = pd.concat([frame[kept], pd.DataFrame([other])], ignore_index=True)
    fig, ax = _figure(title, 0.9 + 0.26 * len(frame))
    positions = list(range(len(frame)))[::-1]
    ax.barh(positions, frame["ehandel_amount"], color="C0", height=0.7, label="E-handlet")
    ax.barh(positions, frame["missed_amount"], left=frame["ehandel_amount"], color="#c9d6e3", height=0.7,
            label="Ikke e-handlet")
    for y, total, rate in zip(positions, frame["eligible_amount"], frame["rate"]):
        ax.annotate(pct(rate), (total, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7.5)
    ax.set_yticks(positions, frame[label].astype(str))
    ax.xaxis.set_major_formatter(MIO_KRONER)
    ax.set_xlabel("E-handelsegnet forbrug, mio. kr.")
    ax.set_xlim(0, frame["eligible_amount"].max() * 1.15)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    return fig


def ranking(table: pd.DataFrame, rate: str, cutoff: float, title: str) -> Figure:
    """Every ranked unit's rate, lowest first, the selected ones highlighted and the cut-off marked."""
    ranked = ranked_units(table, rate)
    fig, ax = _figure(title)
    colours = [SELECTED_COLOUR if selected else OTHER_COLOUR for selected in ranked["selected"]]
    ax.bar(ranked["rank"], ranked["rate"], color=colours, width=0.85)
    ax.axhline(cutoff, color=SELECTED_COLOUR, linewidth=1, linestyle="--")
    ax.annotate(f"Afskæring: {pct(cutoff)}", (ranked["rank"].max(), cutoff), xytext=(0, 4),
                textcoords="offset points", ha="right", color=SELECTED_COLOUR, fontsize=8)
    ax.yaxis.set_major_formatter(PERCENT)
    ax.set_xlabel(RANKING_AXIS)
    ax.set_ylabel("E-handelsprocent")
    ax.set_xlim(0, len(ranked) + 1)
    return fig


def probability(frame: pd.DataFrame, n: int, title: str, around: int = 10) -> Figure:
    """Probability of selection for the units ranked within ``around`` places of the cut-off (bootstrap)."""
    shown = near_cutoff(frame, n, around)
    fig, ax = _figure(title, 1.0 + 0.17 * len(shown))
    positions = list(range(len(shown)))[::-1]
    colours = [SELECTED_COLOUR if selected else OTHER_COLOUR for selected in shown["selected"]]
    ax.barh(positions, shown["probability"], color=colours, height=0.7)
    ax.axvspan(DISAGREEMENT, 1 - DISAGREEMENT, color=UNCERTAIN_COLOUR, zorder=0)
    ax.set_yticks(positions, list(shown["label"]))
    ax.xaxis.set_major_formatter(PERCENT)
    ax.set_xlim(0, 1)
    ax.set_xlabel(PROBABILITY_AXIS)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    return fig


def benchmark(own: pd.DataFrame, municipality: str, rows: pd.DataFrame, title: str) -> Figure:
    """The municipality's yearly rate as a line, published figures of others as labelled points: not
    joined by lines, because they are measured years apart and by other methods."""
    fig, ax = _figure(title, 3.4)
    years = own["period"].astype(int)
    ax.plot(years, own["rate"], marker="o", color="C0", linewidth=2, label=municipality)
    markers = iter("sD^vP*X")
    for (name, group), colour in zip(rows.groupby("municipality", sort=True), ["C1", "C2", "C3", "C4", "C5", "C3"]):
        group = group.sort_values("year")
        ax.plot(group["year"], group["rate"], marker=next(markers), linestyle="none", color=colour, label=name)
    # Labels to the right of their point, the lower of two close points' label below it.
    placed: list[tuple[int, float]] = []
    for _, row in rows.sort_values(["year", "rate"], ascending=[True, False]).iterrows():
        close = any(year == row["year"] and abs(rate - row["rate"]) < 0.04 for year, rate in placed)
        ax.annotate(pct(row["rate"], 0), (row["year"], row["rate"]), xytext=(5, -9 if close else 2),
                    textcoords="offset points", fontsize=7)
        placed.append((row["year"], row["rate"]))
    ax.yaxis.set_major_formatter(PERCENT)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(0.6, float(rows["rate"].max()) * 1.15, float(own["rate"].max()) * 1.15))
    ax.set_ylabel("E-handelsprocent (kroner)")
    ax.legend(loc="upper left", fontsize=7)
    return fig


def cumulative(net: pd.Series, cumulative_net: pd.Series, title: str) -> Figure:
    """Yearly net effect as bars and the cumulative net effect as a line, in mio. kr."""
    fig, ax = _figure(title)
    years = [int(y) for y in net.index]
    ax.bar(years, net, color=["C2" if v >= 0 else "C1" for v in net], width=0.7)
    (line,) = ax.plot(years, cumulative_net, color="C0", marker="o", linewidth=1.6, label="Akkumuleret")
    ax.axhline(0, color="#404040", linewidth=0.8)
    ax.yaxis.set_major_formatter(MIO_KRONER)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Mio. kr.")
    ax.legend(handles=[Patch(color="C2", label="Nettoeffekt pr. år: gevinst"),
                       Patch(color="C1", label="Nettoeffekt pr. år: udgift"), line], loc="upper left")
    return fig


def discontinuity(frame: pd.DataFrame, bandwidth: float, title: str) -> Figure:
    """Each unit's change in rate against its distance to the cut-off in the selection year (cut
    units orange), with the line on each side within ``bandwidth``: the jump at 0 is the effect."""
    fig, ax = _figure(title)
    for treated, colour in ((False, "#9db3c9"), (True, "C1")):
        side = frame[frame["treated"] == treated]
        ax.scatter(side["distance"], side["change"], s=14, color=colour, zorder=2)
        near = side[side["distance"].abs() <= bandwidth]
        if len(near["distance"].unique()) >= 2:
            slope, intercept = np.polyfit(near["distance"], near["change"], 1)
            ends = np.array([near["distance"].min(), 0.0] if treated else [0.0, near["distance"].max()])
            ax.plot(ends, intercept + slope * ends, color="C1" if treated else "C0", linewidth=1.8)
    ax.axvline(0, color="#404040", linewidth=0.8, linestyle="--")
    ax.axhline(0, color="#404040", linewidth=0.6)
    ax.xaxis.set_major_formatter(POINTS)
    ax.yaxis.set_major_formatter(POINTS)
    ax.set_xlabel("Afstand til afskæringen i udvælgelsesåret (procentpoint); ramte enheder er orange")
    ax.set_ylabel("Ændring i e-handelsprocent")
    return fig
