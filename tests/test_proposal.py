"""The prioriteringsforslag in the municipality's own form: the seed's ØU08 header and table from
the default parameters, the sections from the editable template, Word read back."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import docx
import nbformat
import papermill
import pytest
from pypdf import PdfReader

from analysis.report import budget_table, proposal
from analysis.errors import ParameterError
from analysis.paths import NOTEBOOK_DIR

SEED = Path(__file__).parent / "data" / "seeds" / "oeu08_form_head.txt"  # the start of ØU08 as published
FIGURES = proposal.figures(municipality="Høje-Taastrup Kommune", year=2025, n=30, amount=1_500_000, rate=0.218,
                           eligible_amount=105e6, goods_budget=116e6, target_rate=0.53,
                           target_label="Københavns Kommune 2021", mandatory_missed=3.4e6)


def seed_lines() -> list[str]:
    return [" ".join(line.split()) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def default_form() -> proposal.Form:
    years = (2026, 2027, 2028, 2029)
    return proposal.Form(budget_years=years, number="ØU08", title="Øget brug af e-handel", committee="Økonomiudvalget",
                         proposer="Administrationen", expense_type="Serviceudgifter", price_year=2026,
                         table=budget_table.proposal_table(1_500_000, years),
                         sections=proposal.sections(proposal.TEMPLATE, FIGURES))


def docx_lines(path: Path) -> list[str]:
    """The Word document as lines: paragraphs, and each table row's cells joined by spaces."""
    document = docx.Document(str(path))
    lines = [paragraph.text for paragraph in document.paragraphs if paragraph.text.strip()]
    for grid in document.tables:
        for row in grid.rows:
            lines.append(" ".join(" ".join(cell.text.split()) for cell in row.cells if cell.text.strip()))
    return lines


def test_the_word_form_reproduces_the_seeds_header_table_and_sections(tmp_path: Path) -> None:
    path = proposal.write_docx(default_form(), tmp_path / proposal.DOCX_NAME, date(2026, 11, 23))
    lines = docx_lines(path)
    seed = seed_lines()
    assert lines[:2] == ["Budget 2026-2029", "Prioriteringsforslag"]
    for field in ("Nr. ØU08", "Overskrift Øget brug af e-handel", "Udvalg Økonomiudvalget",
                  "Forslagsstiller Administrationen", "Udgiftstype Serviceudgifter"):
        assert field in seed and field in lines, field
    for row in ("Nuværende budget - - - -", "Budgetændring – drift", "Effektivisering -1.500 -1.500 -1.500 -1.500",
                "Samlet ændring (Netto) -1.500 -1.500 -1.500 -1.500", "Personalekonsekvenser",
                "Ændring i antal årsværk - - - -", budget_table.SIGN_NOTE):
        assert row in seed and row in lines, row
    assert "Beløb i 1.000 kr. 2026-priser 2026 2027 2028 2029" in lines
    headings = [line for line in seed if re.match(r"[1-7]\. ", line)]
    assert [heading for heading, _ in default_form().sections] == headings
    assert docx.Document(str(path)).core_properties.title == "Budget 2026-2029, prioriteringsforslag ØU08: Øget brug af e-handel"


def test_every_figure_in_the_text_is_computed() -> None:
    text = " ".join(" ".join(paragraphs) for _, paragraphs in default_form().sections).replace("\u00a0", " ")
    assert "Forslagets effekt på 1,5 mio. kr. udmøntes som en forholdsmæssig budgetreduktion til de 30 institutioner" in text
    assert "I Høje-Taastrup Kommune er der budget på 116 mio. kr. til varekøb og fødevarer mv." in text
    assert "I 2025 blev 21,8 % af kommunens e-handelsegnede indkøb (105 mio. kr.) e-handlet, mod 53,0 % i " \
           "Københavns Kommune 2021." in text
    other = proposal.sections(proposal.TEMPLATE, {**FIGURES, "n": 25, "amount_mio": proposal.amount_text(1_234_567)})
    other_text = " ".join(" ".join(paragraphs) for _, paragraphs in other).replace("\u00a0", " ")
    assert "effekt på 1.234.567 kr. udmøntes" in other_text and "til de 25 institutioner" in other_text


def test_a_template_that_names_an_unknown_figure_or_has_no_sections_is_refused(tmp_path: Path) -> None:
    typo = tmp_path / "skabelon.md"
    typo.write_text("## 1. Resumé\n\nEffekt på {{ amount_mi }}.\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="amount_mi.*the names it may use: .*amount_mio"):
        proposal.sections(typo, FIGURES)
    flat = tmp_path / "flad.md"
    flat.write_text("Ingen afsnit.\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="has no sections"):
        proposal.sections(flat, FIGURES)
    own = tmp_path / "egen.md"
    own.write_text("## 1. Resumé\n\nVi foreslår {{ amount_mio }}.\n\nAnden linje.\n\n## 2. Status\n\nOk.\n", encoding="utf-8")
    assert proposal.sections(own, FIGURES) == [("1. Resumé", ["Vi foreslår 1,5\u00a0mio.\u00a0kr.", "Anden linje."]),
                                                ("2. Status", ["Ok."])]


def test_the_word_file_is_the_same_bytes_for_the_same_form(tmp_path: Path) -> None:
    first = proposal.write_docx(default_form(), tmp_path / "a.docx", date(2026, 11, 23)).read_bytes()
    second = proposal.write_docx(default_form(), tmp_path / "b.docx", date(2026, 11, 23)).read_bytes()
    assert first == second


@pytest.mark.slow
def test_the_notebook_builds_the_form_for_another_budget_period(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.ipynb"
    budget = tmp_path / "budget.csv"  # the finance team's export of the area's budget lines
    budget.write_text("Budgetår;Beløb\n2027;1.234.567\n2028;1.250.000\n2029;1.250.000\n2030;1.100.000\n2031;1\n",
                      encoding="utf-8")
    index = tmp_path / "pl.csv"  # KL's pris- og lønskøn as the team copies it
    index.write_text("År;PL-skøn\n2026;2,1\n2027;2,5\n", encoding="utf-8")
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / "06_proposal_form.ipynb"), str(out), cwd=str(NOTEBOOK_DIR), progress_bar=False,
        parameters={"db_path": str(small_db), "n": 12, "amount": 2_000_000, "budget_years": "2027-2030",
                    "fte_change": -1.5, "budget_file": str(budget), "amount_price_year": 2026,
                    "price_index_file": str(index), "output_dir": str(tmp_path),
                    "report_date": "2026-11-23"})
    shown = json.dumps([c.get("outputs", []) for c in nbformat.read(out, as_version=4).cells], ensure_ascii=False)
    assert "Budget 2027-2030" in shown and "2027-priser" in shown
    lines = docx_lines(tmp_path / proposal.DOCX_NAME)
    assert "Effektivisering -2.050 -2.050 -2.050 -2.050" in lines  # 2.000.000 kr. in 2026-priser, +2,5 %
    assert "Nuværende budget 1.235 1.250 1.250 1.100" in lines
    assert ("Beløbet på 2.000.000 kr. i 2026-priser er omregnet til 2.050.000 kr. i 2027-priser med pris- og"
            " lønskønnet.") in [" ".join(line.split()) for line in lines]
    assert "Ændring i antal årsværk -1,5 -1,5 -1,5 -1,5" in lines  # a Danish decimal beside whole 1.000 kr.
    text = " ".join(lines).replace("\u00a0", " ")
    assert "Forslagets effekt på 2.050.000 kr." in text and "til de 12 institutioner" in text
    assert "Eksempel Kommune" in text


@pytest.mark.slow
def test_the_build_writes_the_form_as_pdf_and_word(small_db: Path, tmp_path: Path) -> None:
    from analysis.report.build import build_reports

    build_reports(db_path=small_db, run="form", only=["proposal_form"], reports_dir=tmp_path,
                  parameters={"n": "10", "report_date": "2026-11-23"})
    pdf = " ".join(page.extract_text() for page in PdfReader(tmp_path / "form" / "06_proposal_form.pdf").pages)
    pdf = " ".join(pdf.replace("\u00a0", " ").split())
    for text in ("Budget 2026-2029 Prioriteringsforslag", "Nr. ØU08", "Effektivisering -1.500 -1.500 -1.500 -1.500",
                 "1. Resumé", "7. Eventuelt bemærkninger fra HU", "til de 10 institutioner",
                 "Prioriteringsforslag ØU08: Øget brug af e-handel"):  # the last in the page footer
        assert text in pdf, text
    assert (tmp_path / "form" / proposal.DOCX_NAME).exists()
