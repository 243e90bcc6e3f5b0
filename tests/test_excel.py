"""The procurement team's workbook: title block, total row, typed parameters and print setup,
checked in the file and, where LibreOffice is installed, on the pages it prints."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from analysis import db
from analysis.report import excel
from analysis.engines import penalty, rates
from analysis.formats import long_date

HEADER = excel.SheetHeader("Eksempel Kommune", "2025", date(2026, 11, 23), "26-123",
                           "indkøbsdata fra raw, beregnings-id 0123456789ab")


@pytest.fixture(scope="module")
def many_units(small_db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The small municipality's units twelve times over (about 290 units, a real municipality's
    size), with their documents, so that the allocation runs over several printed pages."""
    con = db.connect(small_db)
    try:
        first, last = rates.measurement_period(2025)
        units = rates.unit_rates_between(con, first, last)
        documents = rates.unit_documents_between(con, first, last)
    finally:
        con.close()
    copies = [units.assign(ean=units["ean"] + f"{i:02d}", name=units["name"] + f" {i}") for i in range(12)]
    copied_documents = [documents.assign(ean=documents["ean"] + f"{i:02d}") for i in range(12)]
    return pd.concat(copies, ignore_index=True), pd.concat(copied_documents, ignore_index=True)


@pytest.fixture(scope="module")
def workbook_file(many_units: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    units, documents = many_units
    parameters = penalty.PenaltyParameters(n=30, cap=0.5)
    result = penalty.simulate(units, parameters)
    probability = penalty.selection_probability(documents, units, parameters, replicates=50)
    return excel.write_workbook(tmp_path_factory.mktemp("xlsx") / "sanktion.xlsx", result, HEADER, probability)


def rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.slow
def test_every_sheet_opens_with_the_title_block_and_prints_landscape_fitted_to_width(workbook_file: Path) -> None:
    workbook = openpyxl.load_workbook(workbook_file)
    assert workbook.sheetnames == ["Fordeling", "Parametre", "Sandsynlighed"]
    for sheet in workbook:
        top = [row[0] for row in rows(sheet)[:6]]
        assert top[0].startswith("Sanktion for lav e-handel")
        assert top[1:] == ["Kommune: Eksempel Kommune", "Måleperiode: 2025", "Dato: 23. november 2026",
                           "Sagsnr.: 26-123", "Kilde: indkøbsdata fra raw, beregnings-id 0123456789ab"]
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$8:$8" and sheet.freeze_panes == "A9"
        assert sheet.oddFooter.right.text == "Side &P af &N" and sheet.oddHeader.right.text == "Sagsnr. 26-123"
        assert all(cell.alignment.wrap_text for cell in sheet[8])  # long headers wrap, not cut off
    for name in ("Fordeling", "Sandsynlighed"):  # tall enough for "Reduktion i pct. af varebudget" in 3 lines
        assert workbook[name].row_dimensions[8].height >= 3 * excel.LINE_HEIGHT


def test_the_allocation_ends_with_a_total_row_that_sums_to_the_amount(workbook_file: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_file)["Fordeling"]
    table = rows(sheet)[7:]
    headers, body, total = table[0], table[1:-1], table[-1]
    assert len(body) == 288 and total[headers.index("Enhed")] == "I alt"
    assert total[headers.index("Reduktion")] == 1_500_000 == sum(row[headers.index("Reduktion")] for row in body)
    budget = headers.index("Varebudget")
    assert total[budget] == round(sum(row[budget] or 0 for row in body))
    assert sheet.auto_filter.ref == f"A8:O{8 + len(body)}"  # the filter leaves the total row out
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # values, never formulas


def test_parameters_are_stored_as_numbers_with_danish_number_formats(workbook_file: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_file)["Parametre"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=9)}
    assert cells["Antal enheder (N)"].value == 30 and cells["Antal enheder (N)"].number_format == "0"
    assert cells["Beløb (A)"].value == 1_500_000 and cells["Beløb (A)"].number_format == excel.KRONER
    assert cells["Loft pr. enhed"].value == 0.5 and "%" in cells["Loft pr. enhed"].number_format
    assert cells["Sum af reduktioner"].value == 1_500_000
    assert isinstance(cells["E-handelsprocent ved afskæring"].value, float)
    assert cells["Fritagne enhedstyper"].value == "ingen"


def test_the_header_names_the_raw_folder_the_day_it_was_read_and_the_scenario(small_db: Path) -> None:
    con = db.connect(small_db)
    try:
        meta = db.meta(con)
    finally:
        con.close()
    header = excel.SheetHeader.from_meta(meta, "2025", date(2026, 11, 23), scenario_id="0123456789ab")
    assert header.municipality == meta["municipality"]
    day = long_date(date.fromisoformat(meta["ingested_at"][:10]))
    assert header.source == (f"indkøbsdata indlæst {day} fra mappen {Path(meta['raw_dir']).name} (syntetiske data), "
                             "beregnings-id 0123456789ab")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed:"
                    " apt-get install libreoffice-calc-nogui")
def test_libreoffice_prints_every_column_on_each_page_with_the_header_row_repeated(workbook_file: Path,
                                                                                    tmp_path: Path) -> None:
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(workbook_file)],
                   check=True, capture_output=True, timeout=300)
    pages = PdfReader(tmp_path / "sanktion.pdf").pages
    texts = [page.extract_text() for page in pages]
    allocation = [text for text in texts if "fordeling pr. enhed" in text]
    assert all(page.mediabox.width > page.mediabox.height for page in pages)  # landscape
    # 288 units and a total row: fitted to the width, about 40 rows a page (31 pages and three
    # columns on page 1 before the print setup).
    assert 2 <= len(allocation) <= math.ceil(289 / 25)
    for text in allocation:  # every column's header on every page: repeated, and nothing cut off the right
        assert "Placering" in text and "Reduktion i" in text and "varebudget" in text
    assert "I alt" in allocation[-1] and re.search(r"1[.,]500[.,]000 kr\.", allocation[-1])  # the locale's separators
    assert f"Side 1 af {len(pages)}" in texts[0] and f"Side {len(pages)} af {len(pages)}" in texts[-1]
    assert any("parametre og regler" in text and "Antal enheder (N)" in text for text in texts)


def test_the_workbook_is_stamped_with_the_report_date_not_the_moment_it_was_saved(workbook_file: Path) -> None:
    from zipfile import ZipFile

    with ZipFile(workbook_file) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2026, 11, 23, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2026-11-23T00:00:00Z") == 2  # created and modified
    properties = openpyxl.load_workbook(workbook_file).properties
    assert properties.created.date() == properties.modified.date() == date(2026, 11, 23)
