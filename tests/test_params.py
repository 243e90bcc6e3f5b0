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


def test_a_budget_follow_up_ranks_on_whole_months_up_to_its_date(small_db: Path) -> None:
    from datetime import date

    from analysis import rates, text

    assert rates.follow_up_period(date(2025, 11, 15), "12m") == (date(2024, 11, 1), date(2025, 10, 31))
    assert rates.follow_up_period(date(2025, 11, 30), "12m") == (date(2024, 12, 1), date(2025, 11, 30))
    assert rates.follow_up_period(date(2025, 11, 15), "ytd") == (date(2025, 1, 1), date(2025, 10, 31))
    resolved = params.penalty(db_path=str(small_db), follow_up_date="2025-11-15", n=5)
    assert (resolved["first_day"], resolved["last_day"], resolved["months"]) == (date(2024, 11, 1), date(2025, 10, 31), 12)
    assert resolved["period"] == "01-11-2024 - 31-10-2025" and resolved["follow_up"] == (date(2025, 11, 15), "12m")
    assert text.follow_up(*resolved["follow_up"], resolved["first_day"], resolved["last_day"]).replace("\u00a0", " ") == (
        "Budgetopfølgning pr. 15. november 2025: måleperioden er de seneste 12 måneder, november 2024 - oktober 2025"
        " (12 måneder).")
    ytd = params.penalty(db_path=str(small_db), follow_up_date="2025-07-01", follow_up_window="ytd", n=5)
    assert (ytd["first_day"], ytd["last_day"], ytd["months"]) == (date(2025, 1, 1), date(2025, 6, 30), 6)


@pytest.mark.parametrize(("given", "message"), [
    ({"follow_up_date": "2026-04-30"}, "the data hold purchases in 8 of its 12 months"),  # data end in 2025
    ({"period_start": "2025-06-01", "period_end": "2026-05-31"}, "the data hold purchases in 7 of its 12 months"),
    ({"follow_up_date": "2025-11-15", "year": 2025}, "give a follow-up date or a year or period, not both"),
    ({"follow_up_date": "15/11/2025"}, "follow_up_date: '15/11/2025' is not a date"),
    ({"follow_up_date": "2025-11-15", "follow_up_window": "3m"}, "follow_up_window: must be one of 12m, ytd"),
])
def test_a_period_the_data_only_partly_cover_is_never_ranked(small_db: Path, given: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        params.penalty(db_path=str(small_db), n=5, **given)


def test_the_year_before_is_compared_only_when_the_data_cover_all_of_it(small_db: Path) -> None:
    from datetime import date

    from analysis import db, rates

    con = db.connect(small_db)
    try:
        label, before = rates.unit_rates_before(con, date(2025, 1, 1), date(2025, 12, 31))
        assert label == "2024" and before is not None
        label, before = rates.unit_rates_before(con, date(2024, 11, 1), date(2025, 10, 31))  # data begin in 2024
        assert label == "01-11-2023 - 31-10-2024" and before is None
    finally:
        con.close()
