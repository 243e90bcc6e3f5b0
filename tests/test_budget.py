"""Budget tables in the municipal format."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from analysis import params
from analysis.ingest.budget_file import current_budget, price_factor, price_index
from analysis.report import text
from analysis.formats import thousands
from analysis.report.budget_table import PROPOSAL_GROUPS, format_tkr, proposal_table, table_html
from analysis.errors import ParameterError

EXCEL = Path(__file__).parent / "data" / "excel"  # .xls files LibreOffice saved (README there)


def test_thousands_round_half_away_from_zero_like_a_printed_budget() -> None:
    assert thousands(-1_500_000) == -1500
    assert thousands(2_263_500) == 2264 and thousands(-2_692_500) == -2693 and thousands(499) == 0
    assert format_tkr(-1500) == "-1.500" and format_tkr(0) == "-" and format_tkr(None) == "-"
    assert format_tkr(12345) == "12.345" and format_tkr(12345.0) == "12.345"
    assert format_tkr(-1.5) == "-1,5"  # årsværk, the one row that is not in 1.000 kr.


def test_proposal_table_is_derived_from_the_parameters() -> None:
    table = proposal_table(1_500_000, (2026, 2027, 2028, 2029))
    assert table.loc["Effektivisering"].tolist() == [-1500] * 4
    assert table.loc["Samlet ændring (Netto)"].tolist() == [-1500] * 4
    other = proposal_table(2_345_600, (2027, 2028))
    assert list(other.columns) == [2027, 2028] and other.loc["Effektivisering"].tolist() == [-2346, -2346]
    html = table_html(table, 2026, PROPOSAL_GROUPS).data
    assert "Beløb i 1.000 kr.<br>2026-priser" in html and "Budgetændring – drift" in html
    assert "(-) = mindreudgift/merindtægt, (+) = merudgift/mindreindtægt" in html
    with pytest.raises(ParameterError):
        proposal_table(0, (2026,))


def test_a_budget_file_is_summed_per_budget_year_exactly(tmp_path: Path) -> None:
    """The finance team's export, as the budget system writes it: a title line, Danish numbers,
    several lines a year, a year outside the budget period, a blank line."""
    export = tmp_path / "budget.csv"
    export.write_text("Budget for Indkøb og Udbud, drift\n\nKonto;Budgetår;Beløb\n"
                      "5.22.07;2027;1.234.567,50\n5.22.08;2027;(1.000)\n5.22.07;2028;1.250.000\n"
                      ";;\n5.22.07;2026;99\n5.22.07;2029;1250000\n5.22.07;2030;12 500 kr.\n", encoding="cp1252")
    budget = current_budget(export, (2027, 2028, 2029, 2030))
    assert budget == {2027: Decimal("1233567.50"), 2028: 1_250_000, 2029: 1_250_000, 2030: 12_500}
    table = proposal_table(1_500_000, (2027, 2028, 2029, 2030), budget)
    assert table.loc["Nuværende budget"].tolist() == [1234, 1250, 1250, 13]  # 1.000 kr., half away from zero
    assert proposal_table(1_500_000, (2027, 2028), {2027: 2_000_000, 2028: 2_000_000}).loc[
        "Nuværende budget"].tolist() == [2000, 2000]


def test_a_budget_workbook_is_read_from_its_first_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Område", "År", "Budget"])
    sheet.append(["Dagtilbud", 2027, 1_000_000])
    sheet.append(["Skoler", 2027, 2_500_000.5])
    sheet.append(["Skoler", "2028", "3.000.000"])
    workbook.save(tmp_path / "budget.xlsx")
    assert current_budget(tmp_path / "budget.xlsx", (2027, 2028)) == {2027: Decimal("3500000.5"), 2028: 3_000_000}


def test_the_teams_files_are_read_from_old_binary_excel_too(tmp_path: Path) -> None:
    """KL's sheets and older budget systems write Excel 97-2003 (.xls); the same workbooks saved so by
    LibreOffice read as their .xlsx do. A broken one is named, as a parameter error."""
    assert current_budget(EXCEL / "budget.xls", (2027, 2028)) == {2027: Decimal("3500000.5"), 2028: 3_000_000}
    assert price_index(EXCEL / "pl.xls") == {2026: Decimal("2.5"), 2027: Decimal("2.25")}
    broken = tmp_path / "pl.xls"
    broken.write_bytes((EXCEL / "pl.xls").read_bytes()[:600])
    with pytest.raises(ParameterError, match=rf"^price_index_file: {broken}: not a readable Excel workbook"):
        price_index(broken)


@pytest.mark.parametrize("content, reason", [
    ("År;Beløb\n2027;1.000\n2028;tusind\n", "line 3: the amount 'tusind' is not a number"),
    ("År;Beløb\n2027;1.000\n2028;\n", "line 3: the amount is empty"),
    ("År;Beløb\n2027;1.000\nnæste år;5\n", "line 3: the year 'næste år' is not a year"),
    ("År;Beløb\n2027;1.000\n", "no line for 2028 (the file has 2027)"),
    ("Konto;Tekst\n1;2\n", "no header row with a year column"),
    ("År;Beløb;Budget\n2027;1;2\n", "line 1: more than one year or value column"),
])
def test_a_budget_file_it_cannot_read_names_the_file_line_and_reason(tmp_path: Path, content: str,
                                                                       reason: str) -> None:
    export = tmp_path / "budget.csv"
    export.write_text(content, encoding="utf-8")
    with pytest.raises(ParameterError) as error:
        current_budget(export, (2027, 2028))
    assert str(export) in str(error.value) and reason in str(error.value)


def test_the_form_takes_its_current_budget_one_way(small_db: Path, tmp_path: Path) -> None:
    export = tmp_path / "budget.csv"
    export.write_text("År;Beløb\n2026;10.000.000\n2027;10.000.000\n2028;9.500.000\n2029;9.500.000\n", encoding="utf-8")
    form = params.proposal_form(db_path=str(small_db), n=10, budget_file=str(export))
    assert form.current_budget == {2026: 10_000_000, 2027: 10_000_000, 2028: 9_500_000, 2029: 9_500_000}
    assert params.proposal_form(db_path=str(small_db), n=10, current_budget=5e6).current_budget == dict.fromkeys(
        (2026, 2027, 2028, 2029), 5_000_000)
    assert params.proposal_form(db_path=str(small_db), n=10).current_budget is None
    with pytest.raises(ParameterError, match="one way, not both"):
        params.proposal_form(db_path=str(small_db), n=10, budget_file=str(export), current_budget=5e6)


def test_the_price_index_converts_the_decided_amount_to_the_tables_prices(tmp_path: Path, small_db: Path) -> None:
    """KL's pris- og lønskøn as the team copies it: percent a year, Danish decimals."""
    sheet = tmp_path / "pl.csv"
    sheet.write_text("KL's pris- og lønskøn, serviceudgifter\nÅr;PL-skøn\n2026;2,1\n2027;2,5\n2028;2,4\n", encoding="utf-8")
    index = price_index(sheet)
    assert index == {2026: Decimal("2.1"), 2027: Decimal("2.5"), 2028: Decimal("2.4")}
    assert price_factor(index, 2026, 2028, sheet) == Decimal("1.025") * Decimal("1.024")
    assert price_factor(index, 2028, 2026, sheet) * price_factor(index, 2026, 2028, sheet) == pytest.approx(1)
    with pytest.raises(ParameterError, match="no change for 2029, needed to go from 2026- to 2029-priser"):
        price_factor(index, 2026, 2029, sheet)
    form = params.proposal_form(db_path=str(small_db), n=10, budget_years="2027-2030", amount_price_year=2026,
                                price_index_file=str(sheet))
    assert form.price_year == 2027 and form.amount_price_year == 2026 and form.form_amount == 1_537_500
    assert form.parameters.amount == 1_500_000  # the cut the units share is the decided amount
    assert text.price_adjustment(1_500_000, 1_537_500, 2026, 2027) == (
        "Beløbet på 1.500.000\u00a0kr. i 2026-priser er omregnet til 1.537.500\u00a0kr. i 2027-priser med pris- og lønskønnet.")
    assert text.price_adjustment(1_500_000, 1_500_000, 2027, 2027) == ""
    unconverted = params.proposal_form(db_path=str(small_db), n=10, budget_years="2027-2030")
    assert unconverted.form_amount == 1_500_000 and unconverted.amount_price_year == 2027
    with pytest.raises(ParameterError, match="amount is in 2026-priser and the table in 2027-priser; give price_index_file"):
        params.proposal_form(db_path=str(small_db), n=10, budget_years="2027-2030", amount_price_year=2026)
    empty = tmp_path / "empty.csv"  # headers, no years: refused, not read as "no change"
    empty.write_text("År;PL\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="no change for 2027, needed to go from 2026- to 2027-priser"):
        params.proposal_form(db_path=str(small_db), n=10, budget_years="2027-2030", amount_price_year=2026,
                             price_index_file=str(empty))


@pytest.mark.parametrize("content, reason", [
    ("År;PL\n2026;102,1\n", "line 2: 102.1 is not a yearly change in percent"),
    ("År;PL\n2026;2,1\n2026;2,2\n", "line 3: a second line for 2026"),
    ("År;PL\n2026;\n", "line 2: the change is empty"),
])
def test_a_price_index_it_cannot_read_names_the_file_line_and_reason(tmp_path: Path, content: str, reason: str) -> None:
    sheet = tmp_path / "pl.csv"
    sheet.write_text(content, encoding="utf-8")
    with pytest.raises(ParameterError) as error:
        price_index(sheet)
    assert str(error.value).startswith(f"price_index_file: {sheet}: {reason}")


def test_a_price_index_laid_out_as_kls_sheet_is_read_years_across(tmp_path: Path) -> None:
    """KL's sheet has the years across (a change labelled by its pair of years, "2025-26") and a row
    per component; the row of the index itself, or else its total, is the one read. Test figures,
    not KL's."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Pris- og lønskøn for de kommunale serviceudgifter (pct.)"])
    sheet.append([])
    sheet.append([None, "2024-25", "2025-26", "2026-27", "2027-28"])
    sheet.append(["Løn", 3.4, 3.3, 3.1, None])
    sheet.append(["Priser", 1.9, 2.2, 2.0, None])
    sheet.append(["Serviceudgifter i alt", 2.9, 3.0, 2.8, None])
    workbook.save(tmp_path / "kl.xlsx")
    assert price_index(tmp_path / "kl.xlsx") == {2025: Decimal("2.9"), 2026: Decimal("3.0"), 2027: Decimal("2.8")}
    wide = tmp_path / "pl.csv"
    wide.write_text("År;2026;2027\nPL;2,5;2,4\n", encoding="utf-8")
    assert price_index(wide) == {2026: Decimal("2.5"), 2027: Decimal("2.4")}
    twice = tmp_path / "twice.csv"
    twice.write_text(";2026;2027\nI alt;2,5;2,4\nSamlet;2,6;2,4\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"lines 2, 3 are all labelled as the index \(I alt, Samlet\); keep one"):
        price_index(twice)
    unlabelled = tmp_path / "unlabelled.csv"
    unlabelled.write_text(";2026;2027\nLøn;2,5;2,4\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"a row of years \(line 1\) but no row below it labelled pl"):
        price_index(unlabelled)
    neither = tmp_path / "neither.csv"
    neither.write_text("Konto;Tekst\n1;2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="no header row with a year column .* nor a row of years across"):
        price_index(neither)
