"""Every chart keeps its text inside the figure, with the long titles and names real data bring."""

from __future__ import annotations

from pathlib import Path

import matplotlib.text
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.engines import benchmark, rates
from analysis.report import charts
from analysis import db
from analysis.engines.penalty import PenaltyParameters, selection_probability, simulate

LONG = "Sandsynlighed for at blive udvalgt, enhederne omkring afskæringen (1000 genudtræk), måleperiode 2025"


@pytest.fixture(scope="module")
def data(small_db: Path) -> dict[str, pd.DataFrame]:
    con = db.connect(small_db)
    try:
        first, last = rates.measurement_period(2025)
        found = {"monthly": rates.municipality_rates(con, "month"), "yearly": rates.municipality_rates(con),
                 "units": rates.unit_rates_between(con, first, last),
                 "documents": rates.unit_documents_between(con, first, last),
                 "orgs": rates.org_rates(con, 2025, 2)}
    finally:
        con.close()
    long_names = found["units"]["name"] + ", afdeling for særligt lange navne i enhedslisten"
    found["units"] = found["units"].assign(name=long_names)
    return found


def drawn(text: matplotlib.text.Text) -> bool:
    """False for a tick label beyond its axis' limits: matplotlib keeps it but does not draw it."""
    for ax in text.figure.axes:
        if text in ax.get_xticklabels():
            low, high = sorted(ax.get_xlim())
            return low <= text.get_position()[0] <= high
        if text in ax.get_yticklabels():
            low, high = sorted(ax.get_ylim())
            return low <= text.get_position()[1] <= high
    return True


def outside(fig: Figure) -> list[str]:
    """The texts drawn (partly) outside the figure."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays the figure out as savefig does
    renderer = canvas.get_renderer()
    box = fig.bbox
    found = []
    for text in fig.findobj(matplotlib.text.Text):
        if not text.get_visible() or not text.get_text().strip() or not drawn(text):
            continue
        extent = text.get_window_extent(renderer)
        if extent.x0 < box.x0 - 1 or extent.x1 > box.x1 + 1 or extent.y0 < box.y0 - 1 or extent.y1 > box.y1 + 1:
            found.append(text.get_text())
    return found


@pytest.mark.slow
def test_every_chart_keeps_its_title_labels_and_names_inside_the_figure(data: dict[str, pd.DataFrame]) -> None:
    parameters = PenaltyParameters(n=8)
    result = simulate(data["units"], parameters)
    probability = selection_probability(data["documents"], data["units"], parameters, replicates=100)
    table = benchmark.load_benchmarks()
    figures = {
        "trend": charts.trend(data["monthly"], data["yearly"], LONG),
        "distribution": charts.distribution(data["units"], 0.3, LONG),
        "spend_and_rate": charts.spend_and_rate(data["orgs"], "org_name", LONG),
        "ranking": charts.ranking(result.table, "rate", result.cutoff_rate, LONG),
        "probability": charts.probability(probability, parameters.n, LONG),
        "benchmark": charts.benchmark(data["yearly"], "Eksempel Kommune", table[table["measure"] == "andel_kr"], LONG),
        "discontinuity": charts.discontinuity(pd.DataFrame({
            "distance": [-0.08, -0.04, -0.01, 0.0, 0.02, 0.05, 0.3], "treated": [True] * 4 + [False] * 3,
            "change": [0.08, 0.07, 0.05, 0.06, -0.01, 0.02, -0.05]}), 0.05, LONG),
        "cumulative": charts.cumulative(pd.Series([-2e6, 1e6, 1.5e6], index=[2026, 2027, 2028]),
                                        pd.Series([-2e6, -1e6, 0.5e6], index=[2026, 2027, 2028]), LONG),
    }
    assert {name: outside(fig) for name, fig in figures.items() if outside(fig)} == {}
    # A legend names what it shows: matplotlib's internal names ("_child11") never reach a reader.
    hidden = {name: [text.get_text() for text in legend.get_texts() if text.get_text().startswith("_")]
              for name, fig in figures.items() for ax in fig.axes if (legend := ax.get_legend())}
    assert {name: labels for name, labels in hidden.items() if labels} == {}


def test_the_probability_chart_names_units_in_full_up_to_a_readable_length(data: dict[str, pd.DataFrame]) -> None:
    parameters = PenaltyParameters(n=8)
    probability = selection_probability(data["documents"], data["units"], parameters, replicates=100)
    fig = charts.probability(probability, parameters.n, "Sandsynlighed")
    labels = [label.get_text() for label in fig.axes[0].get_yticklabels()]
    assert all(len(label) <= 60 for label in labels)
    assert all(label.endswith("…") or label.split(". ", 1)[1] in set(probability["name"]) for label in labels)


def test_every_area_of_the_table_is_in_the_chart(data: dict[str, pd.DataFrame]) -> None:
    """01 drew the 15 largest of 16 areas; beyond 25, the smallest are one bar, so every krone is drawn."""
    orgs = data["orgs"]
    fig = charts.spend_and_rate(orgs, "org_name", "Områder")
    assert len(fig.axes[0].get_yticks()) == len(orgs) <= 25
    many = pd.concat([orgs.assign(org_name=orgs["org_name"] + f" {i}") for i in range(3)], ignore_index=True)
    assert len(many) > 25
    fig = charts.spend_and_rate(many, "org_name", "Områder")
    labels = [label.get_text() for label in fig.axes[0].get_yticklabels()]
    assert len(labels) == 25 and labels[-1] == f"Øvrige ({len(many) - 24})"  # the bottom bar
    widths = sum(patch.get_width() for patch in fig.axes[0].patches)
    assert widths == pytest.approx(many["eligible_amount"].sum())


def test_published_figures_of_others_are_points_not_trends(data: dict[str, pd.DataFrame]) -> None:
    """Figures measured years apart by other methods (Københavns Kommune 2 % in 2017, 53 % in 2021)
    were joined by dotted lines, as if they were one series."""
    table = benchmark.load_benchmarks()
    fig = charts.benchmark(data["yearly"], "Eksempel Kommune", table[table["measure"] == "andel_kr"], "Benchmark")
    lines = [line for line in fig.axes[0].get_lines() if line.get_label() != "Eksempel Kommune"]
    assert lines and all(line.get_linestyle() == "None" for line in lines)


def test_the_business_case_legend_explains_both_bar_colours() -> None:
    fig = charts.cumulative(pd.Series([-2e6, 1e6]), pd.Series([-2e6, -1e6]), "Nettoeffekt")
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert any("gevinst" in label for label in labels) and any("udgift" in label for label in labels)
