"""Notebook parameters: the names papermill injects, budget years, and their Danish note."""

from __future__ import annotations

import re

import pytest

from analysis import params
from analysis.errors import ParameterError

PAPERMILL_CELL = '# Parameters\ndb_path = "x.duckdb"\nyaer = 2024\n'


def test_the_names_of_papermills_injected_cell_are_found_in_the_history() -> None:
    assert params.injected(["year = None\n", PAPERMILL_CELL, "p = 1\n"]) == {"db_path", "yaer"}
    assert params.injected(["# Parameters (papermill: -p name value)\nyear = None\n"]) == set()  # the notebook's own


def test_an_injected_name_the_notebook_does_not_take_is_refused_with_the_closest() -> None:
    namespace = {name: None for name in params.names("ehandel_status")} | {"In": [PAPERMILL_CELL], "yaer": 2024}
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) yaer \(did you mean year\?\)"):
        params.from_notebook("ehandel_status", namespace)
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) zzz; the reports take"):
        params.refuse_unknown(["zzz", "year"], ["year", "n"], "the reports")


@pytest.mark.parametrize(("text", "reason"), [
    ("27-30", "are not years"), ("2030-2027", "has no years"), ("2026,2026", "increasing"),
    ("2026-2040", "at most ten"), ("næste år", "is not a range of years"),
])
def test_implausible_budget_years_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ParameterError, match=reason):
        params.resolve_budget_years(text, 2025)


def test_budget_years_default_to_the_four_after_the_measurement_period_and_must_come_after_it() -> None:
    assert params.resolve_budget_years("", 2025) == (2026, 2027, 2028, 2029)
    assert params.resolve_budget_years(" 2027-2030", 2025) == (2027, 2028, 2029, 2030)
    assert params.budget_years_note((2026, 2027, 2028, 2029), 2025) is None
    assert params.budget_years_note((2027, 2028, 2029, 2030), 2025) == (
        "Budgetårene 2027-2030 begynder 2 år efter måleperioden (2025): enhederne udvælges efter e-handel, der "
        "ligger længere tilbage end ved en almindelig budgetlægning. Kør beregningen igen, når data for det seneste"
        " år er indlæst.")
    with pytest.raises(ParameterError, match="2025-2028 must come after the measurement period, which ends in 2025"):
        params.budget_years_note((2025, 2026, 2027, 2028), 2025)


def test_the_scenario_id_changes_with_figures_and_data_not_with_presentation() -> None:
    values = {"db_path": "/a/e.duckdb", "n": 30, "amount": 1_500_000, "report_date": "", "case_number": ""}
    same = params.scenario_id("penalty", values, "f1")
    assert same == params.scenario_id("penalty", {**values, "db_path": "/b/copy.duckdb", "report_date": "2026-12-01",
                                                  "case_number": "26-1", "output_dir": "/tmp"}, "f1")
    assert len({same, params.scenario_id("penalty", {**values, "n": 31}, "f1"),
                params.scenario_id("penalty", values, "f2"), params.scenario_id("briefing", values, "f1")}) == 4
    assert re.fullmatch(r"[0-9a-f]{12}", same)
