"""One catalogue of the Danish column headers: every table, the explorer, the workbook and the
Danish CSV name a unit's figures the same way."""

from __future__ import annotations

import json
import re

import pytest

from analysis.report import labels
from analysis.report.labels import LABELS
from analysis.paths import NOTEBOOK_DIR, PACKAGE_DIR


def code_of(path) -> str:
    if path.suffix == ".ipynb":
        return "\n".join("".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
                         if cell["cell_type"] == "code")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [*sorted(NOTEBOOK_DIR.glob("*.ipynb")), PACKAGE_DIR / "report" / "explorer.py"],
                         ids=lambda path: path.name)
def test_no_report_names_a_catalogued_column_on_its_own(path) -> None:
    """A header written beside a table drifts ("Sandsynlighed" in 03, "Sikkerhed" in 04 for the same
    probability): catalogued columns take their header from analysis.labels."""
    code = code_of(path)
    for name in LABELS:
        assert not re.search(rf'"{name}": \("', code), f"{path.name} names the column {name} itself"


def test_the_workbook_and_the_danish_csv_use_the_catalogues_headers() -> None:
    from analysis.report.excel import ALLOCATION, PROBABILITY

    for column, header, number_format, width in ALLOCATION:
        assert (header, number_format, width) == (LABELS[column].header, LABELS[column].excel, LABELS[column].width)
    assert dict((c, h) for c, h, *_ in PROBABILITY)["rate_value"] == LABELS["rate"].header
    assert labels.headers()["missed_amount"] == "Ikke e-handlet"


def test_a_table_takes_the_short_form_and_a_header_the_data_call_for() -> None:
    assert labels.columns("rank", "probability", "goods_budget", goods_budget="Varebudget (afledt)") == {
        "rank": ("Nr.", "int"), "probability": ("Sandsynlighed", "pct"), "goods_budget": ("Varebudget (afledt)", "kr")}
    with pytest.raises(KeyError):
        labels.columns("no_such_column")
