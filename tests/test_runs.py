"""The run register and analysis compare: this year's proposal beside last year's."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import params, runs
from analysis.engines import rates
from analysis.engines.penalty import repeat_selection
from analysis.report import text
from analysis.errors import ParameterError
from analysis.spec import SPECS


def record(db: Path, run: str, year: int, **given) -> params.PenaltyInputs:
    values = {name: SPECS[name].default for name in params.names("penalty")} | {"db_path": str(db), "year": year,
                                                                               "n": 8, "replicates": 100} | given
    inputs = params.validate("penalty", values)
    runs.record(db, run, inputs, values)
    return inputs


@pytest.fixture()
def register(small_db: Path, tmp_path: Path) -> Path:
    """A copy of the small municipality (2024 and 2025) with a run recorded for each year."""
    db = tmp_path / "e.duckdb"
    shutil.copy(small_db, db)
    record(db, "budget-2025", 2024)
    record(db, "budget-2026", 2025)
    return db


@pytest.mark.slow
def test_two_recorded_runs_are_compared_as_the_engine_compares_two_years(register: Path) -> None:
    before, after = runs.load(register, "budget-2025"), runs.load(register, "budget-2026")
    assert [entry["run"] for entry in runs.entries(register)] == ["budget-2025", "budget-2026"]  # by period
    assert before.entry["period"] == "2024" and before.entry["parameters"]["n"] == 8
    comparison = runs.compare(before, after)
    table = comparison.table
    assert comparison.count("again") + comparison.count("left") == 8 == comparison.count("again") + comparison.count("new")
    assert table["cut_before"].sum() == table["cut_now"].sum() == 1_500_000  # every krone of both runs
    assert (table["cut_change"] == table["cut_now"] - table["cut_before"]).all()
    # The same answer as 03's year-before comparison, computed from the data instead of the register.
    inputs = params.validate("penalty", {name: SPECS[name].default for name in params.names("penalty")}
                             | {"db_path": str(register), "year": 2025, "n": 8, "replicates": 100})
    with inputs.db as con:
        _, units_2024 = rates.unit_rates_before(con, inputs.first_day, inputs.last_day)
    repeat = repeat_selection(units_2024, inputs.units, inputs.parameters)
    assert comparison.count("again") == len(repeat.again) and comparison.again_improved == len(repeat.improved_again)
    assert set(table.loc[table["change"] == "Nyt udvalgt", "ean"]) == set(repeat.new["ean"])
    sentence = text.run_comparison(comparison)
    assert sentence.startswith("I kørslen budget-2025 (måleperiode 2024) blev 8 enheder ramt.")
    assert "1.500.000\u00a0kr. før og 1.500.000\u00a0kr. nu." in sentence


@pytest.mark.slow
def test_a_rebuilt_run_replaces_its_entry_and_an_unknown_run_names_the_known_ones(register: Path) -> None:
    record(register, "budget-2026", 2025, amount=2_000_000)
    assert runs.load(register, "budget-2026").units["cut"].sum() == 2_000_000
    assert sorted(p.name for p in runs.register_dir(register).iterdir()) == ["budget-2025", "budget-2026"]
    with pytest.raises(ParameterError, match="run 'budget-2024' is not in the register .*: budget-2025, budget-2026"):
        runs.load(register, "budget-2024")


@pytest.mark.slow
def test_analysis_compare_prints_danish_and_writes_the_workbook(register: Path, tmp_path: Path) -> None:
    analysis = [sys.executable, "-m", "analysis.cli"]
    listed = subprocess.run([*analysis, "compare", "--db", str(register)], capture_output=True, text=True, check=True)
    assert "budget-2025: måleperiode 2024" in listed.stdout and "budget-2026: måleperiode 2025" in listed.stdout
    workbook = tmp_path / "sammenligning.xlsx"
    shown = subprocess.run([*analysis, "compare", "budget-2025", "budget-2026", "--db", str(register), "--xlsx",
                            str(workbook), "--report-date", "2026-12-06"], capture_output=True, text=True, check=True)
    assert "Ramt begge gange" in shown.stdout and "Reduktion nu" in shown.stdout
    assert "procentpoint" in shown.stdout and "1.500.000" in shown.stdout
    table = runs.compare(runs.load(register, "budget-2025"), runs.load(register, "budget-2026")).table
    read = pd.read_excel(workbook, header=7)
    assert list(read.columns[:3]) == ["EAN-nummer", "Enhed", "Ændring"] and len(read) == len(table)
    assert read["Reduktion nu"].sum() == 1_500_000 and read["Ændring"].tolist() == table["change"].tolist()
    refused = subprocess.run([*analysis, "compare", "budget-2025", "--db", str(register)], capture_output=True, text=True)
    assert refused.returncode == 2 and "give two runs" in refused.stderr
