"""Notebook parameters: the names papermill injects, budget years, and their Danish note."""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

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

    from analysis.engines import rates
    from analysis.report import text

    assert rates.follow_up_period(date(2025, 11, 15), "12m") == (date(2024, 11, 1), date(2025, 10, 31))
    assert rates.follow_up_period(date(2025, 11, 30), "12m") == (date(2024, 12, 1), date(2025, 11, 30))
    assert rates.follow_up_period(date(2025, 11, 15), "ytd") == (date(2025, 1, 1), date(2025, 10, 31))
    resolved = params.penalty(db_path=str(small_db), follow_up_date="2025-11-15", n=5)
    assert (resolved.first_day, resolved.last_day, resolved.months) == (date(2024, 11, 1), date(2025, 10, 31), 12)
    assert resolved.period == "01-11-2024 - 31-10-2025" and resolved.follow_up == (date(2025, 11, 15), "12m")
    assert text.follow_up(*resolved.follow_up, resolved.first_day, resolved.last_day).replace("\u00a0", " ") == (
        "Budgetopfølgning pr. 15. november 2025: måleperioden er de seneste 12 måneder, november 2024 - oktober 2025"
        " (12 måneder).")
    ytd = params.penalty(db_path=str(small_db), follow_up_date="2025-07-01", follow_up_window="ytd", n=5)
    assert (ytd.first_day, ytd.last_day, ytd.months) == (date(2025, 1, 1), date(2025, 6, 30), 6)


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

    from analysis import db
    from analysis.engines import rates

    con = db.connect(small_db)
    try:
        label, before = rates.unit_rates_before(con, date(2025, 1, 1), date(2025, 12, 31))
        assert label == "2024" and before is not None
        label, before = rates.unit_rates_before(con, date(2024, 11, 1), date(2025, 10, 31))  # data begin in 2024
        assert label == "01-11-2023 - 31-10-2024" and before is None
    finally:
        con.close()


def test_every_notebooks_parameters_cell_is_written_from_the_one_spec() -> None:
    """Each parameter is declared once, in analysis.spec: a notebook's parameters cell holds exactly
    its validator's names with the spec's defaults and help (rewrite with python -m analysis.spec)."""
    from analysis import spec
    from analysis.report.build import declared_parameters, discover_notebooks

    for name, path in discover_notebooks().items():
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
        assert "".join(cell["source"]) == spec.parameters_cell(params.names(name)), (
            f"{path.name}: its parameters cell differs from analysis.spec; run python -m analysis.spec")
        assert declared_parameters(path) == {p: spec.SPECS[p].default for p in params.names(name)}


def test_the_validators_write_no_default_of_their_own() -> None:
    """The validators' defaults are the spec's, set by defaults_from_spec: none is written in their
    signatures, where a second copy could drift (ten places declared the amount once)."""
    from analysis import spec

    validators = {function.__name__ for function in params.VALIDATORS.values()}
    tree = ast.parse(inspect.getsource(params))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in validators]
    assert len(functions) == len(validators)
    for function in functions:
        assert not function.args.args and not function.args.defaults, function.name  # keyword-only, no defaults
        assert not any(function.args.kw_defaults), function.name
    for notebook, validator in params.VALIDATORS.items():
        assert validator.__kwdefaults__ == {p: spec.SPECS[p].default for p in params.names(notebook)}, notebook


def test_analysis_penalty_takes_its_options_defaults_and_help_from_the_spec() -> None:
    from analysis import spec
    from analysis.cli import make_parser

    parser = make_parser()
    args = parser.parse_args(["penalty"])
    options = {"n": "n", "amount": "amount", "key": "key", "basis": "basis", "min_spend": "min_spend",
               "exempt": "exempt_eans", "exempt_type": "exempt_types", "cap": "cap", "budget_basis": "budget_basis",
               "max_unclassified": "max_unclassified", "replicates": "replicates", "case_number": "case_number"}
    assert {option: getattr(args, option) for option in options} == {
        option: spec.SPECS[name].default for option, name in options.items()}
    penalty_parser = next(a for a in parser._subparsers._group_actions[0].choices.values() if a.prog.endswith("penalty"))
    help_text = " ".join(penalty_parser.format_help().split())
    assert all(" ".join(spec.SPECS[name].help.split()) in help_text for name in options.values())


@pytest.mark.parametrize(("name", "value", "message"), [
    ("n", 0, "n: must be a whole number from 1 to 10000, not 0"),
    ("n", 2.5, "n: must be a whole number"),
    ("amount", 10**13, "amount: must be a whole number from 1 to 1e+12"),
    ("cap", 1.5, "cap: must be a number from 0 to 1, not 1.5"),
    ("key", "budgett", "key: must be one of budget, eligible, missed, equal, not 'budgett'"),
    ("follow_up_window", "6m", "follow_up_window: must be one of 12m, ytd"),
    ("year", 26, "year: must be a whole number from 1990 to 2100, not 26"),
])
def test_a_value_outside_the_spec_is_refused_naming_the_parameter(name: str, value, message: str) -> None:
    from analysis import spec

    with pytest.raises(ParameterError, match=re.escape(message)):
        spec.check(name, value)


def test_a_validator_refuses_by_the_spec_before_anything_is_computed(small_db) -> None:
    with pytest.raises(ParameterError, match=re.escape("top_n: must be a whole number from 1 to 50, not 0")):
        params.ehandel_status(db_path=str(small_db), top_n=0)
    assert params.ehandel_status(db_path=str(small_db)).top_n == 10  # the spec's default


def test_the_penalty_check_hands_on_the_units_and_the_result_so_no_notebook_reads_or_simulates_again(
        small_db) -> None:
    """03, 04 and 06 read the period's units and simulated the proposal once in the parameters'
    check and once more in the notebook: now the check's are used."""
    from analysis.engines import rates
    from analysis.report.build import discover_notebooks
    from analysis.engines.penalty import simulate

    resolved = params.penalty(db_path=str(small_db), n=5)
    with resolved.db as con:
        units = rates.unit_rates_between(con, resolved.first_day, resolved.last_day)
        label, before = rates.unit_rates_before(con, resolved.first_day, resolved.last_day)
    # The units carry their rate in the year before (for credit for improvement), read once too.
    assert resolved.units.drop(columns="rate_before").equals(units) and resolved.before_label == label == "2024"
    assert resolved.units["rate_before"].equals(units["ean"].map(before.set_index("ean")["rate"]).rename("rate_before"))
    assert resolved.result.table.equals(simulate(resolved.units, resolved.parameters).table)
    for name in ("penalty", "briefing", "proposal_form"):
        code = json.loads(discover_notebooks()[name].read_text(encoding="utf-8"))
        text = "".join("".join(cell["source"]) for cell in code["cells"])
        assert "unit_rates_between(" not in text and "simulate(units, pp)" not in text, name
        assert "unit_rates_before(" not in text, name


@pytest.mark.parametrize("notebook", ["ehandel_status", "benchmark", "penalty", "briefing", "proposal_form", "evaluation",
                                      "business_case"])
@pytest.mark.slow
def test_a_notebook_opens_its_database_once_and_gets_one_typed_inputs_object(
        notebook: str, small_db, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks of a notebook's parameters (the briefing's run the penalty's and the benchmark's)
    and the notebook itself read through one connection; the notebook gets a typed object, not a
    dict, and its code opens no other connection."""
    import dataclasses

    from analysis import db, inputs
    from analysis.report.build import discover_notebooks
    from analysis.spec import SPECS

    opened = []
    connect = db.connect
    monkeypatch.setattr(db, "connect", lambda *a, **k: opened.append(a) or connect(*a, **k))
    values = {name: SPECS[name].default for name in params.names(notebook)} | {"db_path": str(small_db), "n": 5}
    values = {name: value for name, value in values.items() if name in params.names(notebook)}
    if notebook == "business_case":
        values["case"] = "ehandel"
    namespace = {**values, "In": []}
    resolved = params.from_notebook(notebook, namespace)
    assert len(opened) == 1, f"{notebook}: the database was opened {len(opened)} times"
    assert dataclasses.is_dataclass(resolved) and isinstance(resolved, inputs.Inputs)
    assert resolved.db.con.execute("SELECT count(*) FROM units").fetchone()[0] > 0  # still open for the notebook
    resolved.db.close()
    assert len(opened) == 1 and re.fullmatch(r"[0-9a-f]{12}", resolved.scenario_id)
    code = json.loads(discover_notebooks()[notebook].read_text(encoding="utf-8"))
    assert "db.connect(" not in "".join("".join(cell["source"]) for cell in code["cells"])


def test_every_named_scenario_file_is_a_valid_parameter_set(small_db) -> None:
    """A scenario file in reports/scenarios names only parameters the reports take, with values
    their checks accept (make report builds budget_2027_2030.yml beside the default run)."""
    from analysis.paths import REPORTS_DIR
    from analysis.report.build import discover_notebooks, load_parameter_file, resolve

    files = sorted((REPORTS_DIR / "scenarios").glob("*.yml"))
    assert {path.stem for path in files} >= {"oeu08_2026", "budget_2027_2030"}
    for path in files:
        # The small database holds 24 units in 2024-2025: N and the year are the data's, the rest the file's.
        given = {key: value for key, value in load_parameter_file(path).items() if key != "year"} | {"n": 10}
        _, checked = resolve(discover_notebooks(), small_db, given)
        assert set(checked) == set(discover_notebooks()), path.name
        if path.stem == "budget_2027_2030":
            assert checked["briefing"].budget_years == (2027, 2028, 2029, 2030)
            assert checked["briefing"].price_year == 2027 and checked["briefing"].budget_note  # data end in 2025
