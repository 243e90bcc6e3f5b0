"""One figure, one meaning, in every report: all reports built with non-default parameters and
read back from their PDFs.

Would have caught: 02 printing the constant 1.500.000 kr. when the build's amount was another;
"usikker" meaning 27 units in 03 and 13 in 04; English decimals and code names in Danish prose;
"kr.." after an amount that ends a sentence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from analysis import db, params
from analysis.engines import rates
from analysis.report import text
from analysis.report.build import build_reports
from analysis.formats import pct
from analysis.engines.penalty import Certainty, PenaltyParameters, selection_probability, simulate

PARAMETERS = {"year": "2024", "amount": "2000000", "n": "12", "key": "missed", "budget_basis": "spend", "case": "ehandel",
              "replicates": "300", "report_date": "2026-11-23", "case_number": "26-999"}
REPORTS = ["01_ehandel_status", "02_benchmark", "03_penalty", "04_briefing", "05_business_case"]

pytestmark = pytest.mark.slow


def plain(shown: str) -> str:
    return re.sub(r"\s+", " ", shown.replace("\u00a0", " ").replace("\u00ad", ""))


def pdf_text(path: Path) -> str:
    """The text of every page, without the running footer (a paragraph may run on over a page break)."""
    lines = [line for page in PdfReader(path).pages for line in page.extract_text().splitlines()]
    return plain("\n".join(line for line in lines if not re.search(r"Side \d+ af \d+$", line)))


@pytest.fixture(scope="module")
def texts(small_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    reports = tmp_path_factory.mktemp("consistency")
    build_reports(db_path=small_db, run="other", parameters=PARAMETERS, reports_dir=reports)
    return {name: pdf_text(reports / "other" / f"{name}.pdf") for name in REPORTS}


@pytest.fixture(scope="module")
def expected(small_db: Path) -> dict[str, object]:
    """The shared figures, computed from the engine the reports call, for the build's parameters."""
    con = db.connect(small_db)
    try:
        first, last = rates.measurement_period(2024)
        units = rates.unit_rates_between(con, first, last)
        documents = rates.unit_documents_between(con, first, last)
        year = rates.municipality_rates(con).set_index("period").loc["2024"]
    finally:
        con.close()
    parameters = PenaltyParameters(n=12, amount=2_000_000, key="missed", budget_basis="spend")
    result = simulate(units, parameters)
    probability = selection_probability(documents, units, parameters, replicates=300, seed=2026)
    return {"rate": plain(pct(float(year["rate"]))), "cutoff": plain(pct(result.cutoff_rate)),
            "certainty": Certainty.of(probability, 300)}


def test_the_amount_reaches_every_report_that_names_it_and_the_default_none(texts: dict[str, str]) -> None:
    for name in ("02_benchmark", "03_penalty", "04_briefing", "05_business_case"):
        assert "2.000.000 kr." in texts[name] or "2.000 " in texts[name], name
        assert "1.500.000" not in texts[name], name
    assert "mod forslagets reduktion på 2.000.000 kr." in texts["02_benchmark"]
    assert "Forslaget ØU08 reducerer budgettet med 2.000.000 kr. om året" in texts["02_benchmark"]
    assert "Forslaget ØU08 reducerer budgettet med 2.000.000 kr. om året" in texts["04_briefing"]


def test_n_the_year_rate_and_the_cutoff_are_the_same_wherever_they_appear(texts: dict[str, str],
                                                                          expected: dict[str, object]) -> None:
    assert "2.000.000 kr. fordelt på 12 enheder" in texts["03_penalty"]
    for name in ("01_ehandel_status", "02_benchmark", "04_briefing"):
        assert f"E-handelsprocent 2024 {expected['rate']}" in texts[name], name
    for name in ("03_penalty", "04_briefing"):
        assert expected["cutoff"] in texts[name], name


def test_uncertain_means_one_set_of_units_in_every_report(texts: dict[str, str], expected: dict[str, object]) -> None:
    sentence = plain(text.uncertainty(expected["certainty"]))
    for name in ("03_penalty", "04_briefing"):
        assert sentence in texts[name], name
    certainty = expected["certainty"]
    assert f"Usikker placering {certainty.uncertain} enheder, heraf {certainty.uncertain_selected}" in texts["03_penalty"]
    assert (f"Udvælgelsen er usikker for {certainty.uncertain_selected} af de {certainty.selected} udvalgte"
            in texts["04_briefing"])


def test_no_english_decimals_code_names_or_double_full_stops_in_danish_text(texts: dict[str, str]) -> None:
    code_names = {name for notebook in params.VALIDATORS for name in params.names(notebook) if "_" in name}
    for name, shown in texts.items():
        assert not re.findall(r"\b\d+\.\d{1,2} ?(?:%|mio|procentpoint)", shown), name
        assert "kr.." not in shown, name
        assert not [word for word in code_names if re.search(rf"\b{word}\b", shown)], name
        assert not re.search(r"\b\d{1,3},\d{3},\d{3}\b", shown), name  # English thousands separators
