"""Real exports in: OIOUBL/Peppol XML, Excel workbooks, zip archives, Excel-guarded CSV, KMD Custom
Data headers, and files the ingest cannot use listed with the reason.

The public OIOUBL samples in ../shared/realdata/ are used as they are; every kroner figure is checked
against a hand sum read from the XML with the standard library (an independent reading).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from helpers import CVR, EANS, LINE_HEADER, UNIT_HEADER, minimal_raw, query, unit_row, write_csv

from analysis.errors import InputError
from analysis.ingest import discover, ingest
from analysis.ingest.spreadsheets import SHEET_ROWS, Workbook, cell_text

REALDATA = Path(__file__).parent / "data" / "realdata"  # copies of ../shared/realdata (README there)
EXCEL = Path(__file__).parent / "data" / "excel"  # .xls files LibreOffice saved (README there)
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason="tests/data/realdata is missing")


def hand_sum(folder: Path) -> tuple[int, Decimal]:
    """Documents and net kroner of every Invoice/CreditNote in a folder, read with the standard
    library: line LineExtensionAmount, credit notes negated, document charges added, allowances
    subtracted."""
    documents, total = 0, Decimal(0)
    for path in sorted(folder.iterdir()):
        root = ET.parse(path).getroot()
        name = root.tag.split("}")[1]
        if name not in ("Invoice", "CreditNote"):
            continue
        documents += 1
        sign = -1 if name == "CreditNote" else 1
        for line in root.findall(f"{CAC}{name}Line"):
            total += sign * Decimal(line.find(f"{CBC}LineExtensionAmount").text)
        for charge in root.findall(f"{CAC}AllowanceCharge"):
            amount = Decimal(charge.find(f"{CBC}Amount").text)
            total += sign * (amount if charge.find(f"{CBC}ChargeIndicator").text == "true" else -amount)
    return documents, total


@pytest.mark.slow
@needs_realdata
@pytest.mark.parametrize("version", ["oioubl-2.02", "oioubl-3.0"])
def test_each_real_oioubl_folder_ingests_and_its_kroner_agree_with_a_hand_sum(tmp_path: Path, version: str) -> None:
    raw = tmp_path / version
    shutil.copytree(REALDATA / version, raw)
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    documents, total = hand_sum(raw)
    assert lines.amount_read == total
    assert lines.rows_loaded + lines.rows_quarantined == lines.rows_read
    assert f"{documents} XML document(s)" in lines.note
    ((loaded,),) = query(db, "SELECT sum(amount) FROM invoice_lines")
    assert loaded == lines.amount_loaded


@needs_realdata
def test_the_amount_is_the_line_net_never_tax_exclusive_or_payable(tmp_path: Path) -> None:
    """OIOUBL 2's TaxExclusiveAmount holds the VAT (1.262,50), OIOUBL 3's the net; PayableAmount has VAT."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("BASPRO_01_01_00_Invoice_v2p2.xml", "BASPRO_03_01_06_Invoice_B_v2p2.xml"):
        shutil.copy(REALDATA / "oioubl-2.02" / name, raw / name)
    shutil.copy(REALDATA / "oioubl-3.0" / "OIOUBL3_CreditNote_billing_with_response_Example.xml", raw / "kredit3.xml")
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    assert query(db, "SELECT file, sum(amount), document_type FROM invoice_lines GROUP BY ALL ORDER BY file") == [
        ("BASPRO_01_01_00_Invoice_v2p2.xml", Decimal("5050.00"), "invoice"),
        # 5.050 of lines less the document's "Aftalt rabat" of 800, kept as line -1
        ("BASPRO_03_01_06_Invoice_B_v2p2.xml", Decimal("4250.00"), "invoice"),
        ("kredit3.xml", Decimal("-5050.00"), "credit_note")]
    assert query(db, "SELECT line_no, description FROM invoice_lines WHERE line_no < 0") == [
        (-1, "Rabat på dokumentniveau: Aftalt rabat")]
    assert query(db, "SELECT DISTINCT order_ref, accounting_cost, item_id IS NOT NULL FROM invoice_lines"
                     " WHERE file = 'kredit3.xml'") == [("5002701", "5250124502", True)]


@needs_realdata
def test_a_document_in_euro_is_quarantined_never_loaded_as_kroner(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (REALDATA / "oioubl-2.02" / "BASPRO_01_01_00_Invoice_v2p2.xml").read_text(encoding="utf-8-sig")
    (raw / "eur.xml").write_text(text.replace('"DKK"', '"EUR"').replace(">DKK<", ">EUR<"), encoding="utf-8")
    write_csv(raw / "enheder.csv", UNIT_HEADER, [unit_row("5798000416604", "Den Lille Skole")])
    db = tmp_path / "e.duckdb"
    with pytest.raises(InputError, match=r"the amount is in EUR \(5000.00 EUR\), not DKK"):
        ingest(raw, db)  # nothing is left to load: the message says why, with an example


@needs_realdata
def test_a_buyer_addressed_by_cvr_is_mapped_by_the_units_file(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(REALDATA / "oioubl-2.02" / "COMDEL_02_02_00_Invoice_v2p2.xml", raw / "COMDEL_02.xml")
    header = UNIT_HEADER + ["Øvrige ID"]
    write_csv(raw / "enheder.csv", header, [unit_row(EANS[0], "Vejcentret") + ["DK88666553|999"]])
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert {row[0] for row in query(db, "SELECT buyer_ean FROM invoice_lines")} == {EANS[0]}


@needs_realdata
def test_an_order_addressed_by_cvr_is_mapped_too_and_matches_its_invoice(tmp_path: Path) -> None:
    """COMDEL_02: the invoice and its order (5002701) both name the buyer by CVR (DK88666553)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("COMDEL_02_02_00_Invoice_v2p2.xml", "COMDEL_02_02_00_Order_v2p2.xml"):
        shutil.copy(REALDATA / "oioubl-2.02" / name, raw / name)
    write_csv(raw / "enheder.csv", UNIT_HEADER + ["Øvrige ID"], [unit_row(EANS[0], "Vejcentret") + ["DK88666553"]])
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert query(db, "SELECT order_id, buyer_ean FROM orders") == [("5002701", EANS[0])]
    assert {row for row in query(db, "SELECT buyer_ean, is_ehandel FROM invoice_lines WHERE line_no > 0")} == {
        (EANS[0], True)}


def test_xml_that_is_not_an_invoice_is_skipped_and_broken_xml_is_quarantined(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    (raw / "svar.xml").write_text('<?xml version="1.0"?><ApplicationResponse xmlns="urn:oasis:names:specification:'
                                  'ubl:schema:xsd:ApplicationResponse-2"/>', encoding="utf-8")
    (raw / "brudt.xml").write_text('<?xml version="1.0"?>\n<Invoice>\n  <a>\n</Invoice>', encoding="utf-8")
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>')
    (raw / "0001").write_text(bomb, encoding="utf-8")  # no extension, as Prisme stores documents
    (raw / "noter.docx").write_bytes(b"PK\x03\x04 not really")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert any("an XML ApplicationResponse document, not an invoice" in line and "svar.xml" in line
               for line in report.ignored_files)
    assert any("noter.docx" in line for line in report.ignored_files)
    assert query(db, "SELECT file, line, reason FROM quarantine WHERE kind = 'invoice_lines' ORDER BY file") == [
        ("0001", 1, "declares a DOCTYPE or entities, which an e-invoice never does (refused: entity expansion)"),
        ("brudt.xml", 4, "not well-formed XML (Opening and ending tag mismatch: a line 3 and Invoice,"
                         " line 4, column 11)")]


@pytest.mark.slow
def test_zip_members_are_read_and_named_archive_member(tmp_path: Path) -> None:
    source = minimal_raw(tmp_path / "plain")
    raw = tmp_path / "raw"
    raw.mkdir()
    with zipfile.ZipFile(raw / "eksport.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in source.iterdir():
            archive.write(path, f"2025/{path.name}")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert sorted(f.file for f in report.files if f.file.startswith("eksport")) == [
        "eksport.zip:2025/enheder.csv", "eksport.zip:2025/fakturalinjer.csv", "eksport.zip:2025/ordrer.csv"]
    plain = ingest(source, tmp_path / "plain.duckdb")
    assert sorted((f.kind, f.rows_loaded, f.amount_loaded) for f in report.files) == sorted(
        (f.kind, f.rows_loaded, f.amount_loaded) for f in plain.files)
    assert not list(db.parent.glob(".e.duckdb.*"))  # the unpacked copies went with the work folder


@pytest.mark.slow
def typed_workbook() -> openpyxl.Workbook:
    """An export as a workbook, cells typed as Excel types them: a title row above a header, EANs
    as numbers (one a float), dates as dates, an amount as Danish text, a sheet of notes that is no
    kind. tests/data/excel/eksport.xls is this workbook saved by LibreOffice as Excel 97-2003."""
    book = openpyxl.Workbook()
    units = book.active
    units.title = "enheder"
    units.append(["Enheder pr. 1. januar 2025"])  # a title row above the header
    units.append([])
    units.append(UNIT_HEADER)
    units.append([int(EANS[0]), "Den Lille Skole", "Børn og Unge", "Skoler", "DLS", "DLS", "skole", 200000.0])
    units.append([float(EANS[1]), "Rådhuset", "Adm", "Adm", "R", "R", "administration", 100000])
    lines = book.create_sheet("fakturalinjer")
    lines.append(LINE_HEADER)
    lines.append(["F1", 1, date(2025, 1, 10), EANS[0], CVR, "Kontor A/S", 44121701, "Kuglepenne", 1000, "EH-1", None])
    lines.append(["F2", 1, date(2025, 1, 15), EANS[0], int(CVR), "Kontor A/S", "44121701", "Blæk", 3000.25, "N/A", None])
    lines.append(["F3", 1, "20-01-2025", EANS[1], CVR, "Kontor A/S", "80111600", "Vikar", "5.000,00", "", None])
    orders = book.create_sheet("ordrer")
    orders.append(["Ordrenummer", "Ordredato", "EAN-nummer", "Leverandør CVR", "Beløb"])
    orders.append(["EH-1", date(2025, 1, 2), EANS[0], CVR, 1000])
    notes = book.create_sheet("Noter")
    notes.append(["Fejl", "Sand", "Dato", "Tal"])
    notes.append(["=1/0", True, date(2025, 3, 31), 1234.5])
    return book


def test_an_excel_workbook_is_read_with_its_cells_as_typed(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    typed_workbook().save(raw / "eksport.xlsx")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert {f.file for f in report.files} >= {"eksport.xlsx:enheder", "eksport.xlsx:fakturalinjer", "eksport.xlsx:ordrer"}
    assert query(db, "SELECT invoice_no, invoice_date, amount, is_ehandel FROM invoice_lines ORDER BY invoice_no") == [
        ("F1", date(2025, 1, 10), Decimal("1000.00"), True), ("F2", date(2025, 1, 15), Decimal("3000.25"), False),
        ("F3", date(2025, 1, 20), Decimal("5000.00"), False)]
    assert query(db, "SELECT ean, goods_budget FROM units ORDER BY ean") == [
        (EANS[1], Decimal("100000.00")), (EANS[0], Decimal("200000.00"))]


@pytest.mark.slow
def test_an_excel_workbook_inside_a_zip_reads_like_the_workbook_itself(tmp_path: Path) -> None:
    """A mailed export: a zip holding the workbook (every sheet named archive.zip:book.xlsx:sheet)."""
    (tmp_path / "plain").mkdir()
    test_an_excel_workbook_is_read_with_its_cells_as_typed(tmp_path / "plain")
    zipped = tmp_path / "zipped"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "mail.zip", "w") as archive:
        archive.write(tmp_path / "plain" / "raw" / "eksport.xlsx", "bilag/eksport.xlsx")
    report = ingest(zipped, tmp_path / "z.duckdb")
    assert report.rows_quarantined == 0
    assert {f.file for f in report.files} >= {"mail.zip:bilag/eksport.xlsx:enheder", "mail.zip:bilag/eksport.xlsx:ordrer",
                                              "mail.zip:bilag/eksport.xlsx:fakturalinjer"}
    same = "SELECT invoice_no, invoice_date, amount, is_ehandel FROM invoice_lines ORDER BY invoice_no"
    assert query(tmp_path / "z.duckdb", same) == query(tmp_path / "plain" / "e.duckdb", same)


def test_an_old_binary_excel_workbook_reads_like_the_xlsx_it_was_saved_from(tmp_path: Path) -> None:
    """Excel 97-2003 (.xls), as older systems export and KL's sheets come: every sheet, cell types
    and kroner as the .xlsx gives them, also from a zip."""
    (tmp_path / "xlsx").mkdir()
    test_an_excel_workbook_is_read_with_its_cells_as_typed(tmp_path / "xlsx")
    loose, zipped = tmp_path / "loose", tmp_path / "zipped"
    loose.mkdir()
    zipped.mkdir()
    shutil.copy(EXCEL / "eksport.xls", loose / "eksport.xls")
    with zipfile.ZipFile(zipped / "mail.zip", "w") as archive:
        archive.write(EXCEL / "eksport.xls", "bilag/eksport.xls")
    for folder, prefix in ((loose, "eksport.xls"), (zipped, "mail.zip:bilag/eksport.xls")):
        db = tmp_path / f"{folder.name}.duckdb"
        report = ingest(folder, db)
        assert report.rows_quarantined == 0
        assert {f.file for f in report.files} >= {f"{prefix}:{sheet}" for sheet in ("enheder", "fakturalinjer", "ordrer")}
        assert f"1 workbook sheet(s): only a workbook's sheets named after a kind (enheder, fakturalinjer, ordrer, …)" \
               f" are read, else its first sheet ({prefix}:Noter)" in report.ignored_files
        for table in ("EXCLUDE (file) FROM invoice_lines", "EXCLUDE (municipality) FROM units", "FROM orders"):  # but names
            assert query(db, f"SELECT * {table} ORDER BY ALL") == query(
                tmp_path / "xlsx" / "e.duckdb", f"SELECT * {table} ORDER BY ALL"), table


def test_an_xls_workbooks_cells_come_typed() -> None:
    """Text, numbers, booleans and dates (a number formatted as a date) as Python values; an error
    cell (#DIV/0!) is empty, as calamine gives it."""
    with Workbook(EXCEL / "eksport.xls", "eksport.xls") as book:
        assert book.format == "xls"
        assert book.sheetnames == ["enheder", "fakturalinjer", "ordrer", "Noter"]
        assert list(book.rows("Noter")) == [["Fejl", "Sand", "Dato", "Tal"], ["", True, date(2025, 3, 31), 1234.5]]
        assert [cell_text(value) for value in list(book.rows("enheder"))[3]][:2] == [EANS[0], "Den Lille Skole"]


def test_an_error_cell_in_a_required_column_quarantines_its_row(tmp_path: Path) -> None:
    """A formula's error (here #DIV/0!, as LibreOffice computed it) is read as empty: the amount of
    an invoice line is required, so the line is quarantined, not loaded as 0."""
    raw = minimal_raw(tmp_path / "raw")
    (raw / "fakturalinjer.csv").unlink()
    book = openpyxl.Workbook()
    book.active.append(LINE_HEADER)
    book.active.append(["F1", 1, date(2025, 1, 10), EANS[0], CVR, "Kontor A/S", "44121701", "Papir", 100, "", ""])
    book.active.append(["F2", 1, date(2025, 1, 10), EANS[0], CVR, "Kontor A/S", "44121701", "Papir", "=1/0", "", ""])
    book.save(tmp_path / "fakturalinjer.xlsx")
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice), which computes the formula's error, is not installed")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "xls:MS Excel 97",
                    "--outdir", str(raw), str(tmp_path / "fakturalinjer.xlsx")], check=True, capture_output=True, timeout=120)
    report = ingest(raw, tmp_path / "e.duckdb")
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert (lines.file, lines.rows_read, lines.rows_loaded, lines.rows_quarantined) == ("fakturalinjer.xls", 2, 1, 1)
    assert query(tmp_path / "e.duckdb", "SELECT line, column_name FROM quarantine") == [(3, "amount")]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_xls_fixture_is_what_libreoffice_makes_of_the_typed_workbook(tmp_path: Path) -> None:
    typed_workbook().save(tmp_path / "eksport.xlsx")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "xls:MS Excel 97", "--outdir", str(tmp_path / "out"), str(tmp_path / "eksport.xlsx")],
                   check=True, capture_output=True, timeout=120)
    with Workbook(tmp_path / "out" / "eksport.xls", "new") as new, Workbook(EXCEL / "eksport.xls", "fixture") as fixture:
        assert new.sheetnames == fixture.sheetnames
        for sheet in new.sheetnames:
            assert list(new.rows(sheet)) == list(fixture.rows(sheet)), sheet


def test_an_excel_name_on_other_content_is_read_for_what_it_is(tmp_path: Path) -> None:
    """A system's "Excel export" is often a text table or an HTML page with an .xls name, or an .xlsx
    renamed: the table and the workbook are read, the page is listed with what to do."""
    raw = minimal_raw(tmp_path / "raw")
    lines = (raw / "fakturalinjer.csv").read_bytes()
    (raw / "fakturalinjer.csv").unlink()
    (raw / "fakturalinjer.xls").write_bytes(lines.replace(b";", b"\t"))
    book = openpyxl.Workbook()
    book.active.append(["Ordrenummer", "Ordredato", "EAN-nummer", "Leverandør CVR", "Beløb"])
    book.active.append(["EH-1", date(2025, 1, 2), EANS[0], CVR, 1000])
    (raw / "ordrer.csv").unlink()
    book.save(raw / "ordrer.xls")
    (raw / "rapport.xls").write_text("<html><body><table><tr><td>Beløb</td></tr></table></body></html>")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert {(f.file, f.kind, f.rows_loaded) for f in report.files} >= {("fakturalinjer.xls", "invoice_lines", 3),
                                                                      ("ordrer.xls", "orders", 1)}
    assert any(": a web page or XML saved with an Excel name" in line and "(rapport.xls)" in line
               for line in report.ignored_files)


def test_a_sheet_that_fills_every_row_its_format_holds_is_said_to_be_cut_off(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SHEET_ROWS, "xlsx", 3)  # an .xlsx sheet holds 1,048,576 rows: too many for a test
    raw = minimal_raw(tmp_path / "raw")
    (raw / "ordrer.csv").unlink()
    book = openpyxl.Workbook()
    book.active.append(["Ordrenummer", "Ordredato", "EAN-nummer", "Leverandør CVR", "Beløb"])
    book.active.append(["EH-1", date(2025, 1, 2), EANS[0], CVR, 1000])
    book.active.append(["EH-2", date(2025, 1, 3), EANS[0], CVR, 2000])
    book.save(raw / "ordrer.xlsx")
    report = ingest(raw, tmp_path / "e.duckdb")
    said = "ordrer.xlsx: the sheet fills all 3 rows a sheet of its format holds: the export was most likely cut off there"
    assert any(warning.startswith(said) for warning in report.warnings)
    assert "most likely cut off" in next(f.note for f in report.files if f.file == "ordrer.xlsx")


def test_an_excel_workbook_of_one_kind_is_known_by_its_header_row(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    (raw / "ordrer.csv").unlink()
    book = openpyxl.Workbook()
    book.active.append(["Ordrenummer", "Ordredato", "EAN-nummer", "Leverandør CVR", "Beløb"])
    book.active.append(["EH-1", date(2025, 1, 2), EANS[0], CVR, 1000])
    book.save(raw / "Eksport fra e-handelssystemet.xlsx")
    report = ingest(raw, tmp_path / "e.duckdb")
    assert ("Eksport fra e-handelssystemet.xlsx", "orders") in {(f.file, f.kind) for f in report.files}


def test_a_guarded_cp1252_export_in_a_zip_reads_like_a_plain_one(tmp_path: Path) -> None:
    """TrueLink/Mercell writes every field (the header too) as ="…", in cp1252, zipped."""
    plain = minimal_raw(tmp_path / "plain")
    raw = minimal_raw(tmp_path / "raw")
    guarded = "\r\n".join(";".join(f'="{field}"' for field in line.split(";"))
                          for line in (plain / "fakturalinjer.csv").read_text(encoding="utf-8-sig").splitlines())
    guarded = guarded.replace("Kuglepenne", "Kuglepenne; blå")  # a separator inside a guarded field
    (raw / "fakturalinjer.csv").unlink()
    with zipfile.ZipFile(raw / "fakturalinjer_truelink.zip", "w") as archive:
        archive.writestr("export.csv", guarded.encode("cp1252"))
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert query(db, "SELECT invoice_no, line_no, amount, description FROM invoice_lines ORDER BY invoice_no") == [
        ("F1", 1, Decimal("1000.00"), "Kuglepenne; blå"), ("F2", 1, Decimal("3000.00"), "Kuglepenne; blå"),
        ("F3", 1, Decimal("5000.00"), "Vikar")]


@pytest.mark.slow
def test_a_kmd_custom_data_file_is_read_by_its_second_header_row(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    technical = ["Metadata", "Dato1", "Tekst1", "Tekst2", "Tekst3", "Numerisk1"]
    own = ["1", "Ordredato", "Ordrenummer", "EAN-nummer", "Leverandør CVR", "Beløb"]
    write_csv(raw / "ordrer.csv", technical, [own, ["", "2025-01-02", "EH-1", EANS[0], CVR, "1000,00"]],
              encoding="utf-8")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert query(db, "SELECT order_id, order_date FROM orders") == [("EH-1", date(2025, 1, 2))]
    assert query(db, "SELECT count(*) FROM invoice_lines WHERE is_ehandel") == [(1,)]


@pytest.mark.slow
def test_varekode_is_an_item_number_and_a_bad_optional_value_keeps_its_row(tmp_path: Path) -> None:
    """Danish ERPs write item numbers in Varekode: it is no UNSPSC alias, and a bad UNSPSC is blanked."""
    raw = minimal_raw(tmp_path / "raw")
    header = LINE_HEADER + ["Varekode"]
    write_csv(raw / "fakturalinjer.csv", header, [
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor", "ABC-1", "x", "100,00", "", "", "ABC-1"],
        ["F2", 1, "10-01-2025", EANS[0], CVR, "Kontor", "44121701", "x", "100,00", "", "", "778899"]])
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert (lines.rows_loaded, lines.rows_quarantined) == (2, 0)
    assert "UNSPSC: 1 value(s) blanked, is not an 8-digit UNSPSC code (e.g. 'ABC-1')" in lines.note
    assert query(db, "SELECT invoice_no, unspsc, item_id FROM invoice_lines ORDER BY invoice_no") == [
        ("F1", None, "ABC-1"), ("F2", "44121701", "778899")]


def test_files_of_no_known_kind_are_listed_with_counts_and_a_hint(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    for number in range(4):
        (raw / f"notat{number}.pdf").write_bytes(b"%PDF-1.4")
    (raw / "gammel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)  # a header, no workbook
    found = discover(raw)
    summary = found.skipped_summary()
    assert any(line.startswith("4 .pdf file(s): not a known kind of file") and "notat0.pdf, notat1.pdf, notat2.pdf, …"
               in line for line in summary)
    assert any(": not a readable Excel workbook (" in line and "(gammel.xls)" in line for line in summary)


def test_no_usable_rows_names_the_most_common_reasons_with_an_example(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", '="1"', "10-01-2025", EANS[0], CVR, "Kontor", "44121701", "x", "100,00", "", ""],
        ["F2", '="1"', "10-01-2025", EANS[0], CVR, "Kontor", "44121701", "x", "100,00", "", ""]])
    with pytest.raises(InputError, match=r"(?s)no usable rows were loaded; the most common reasons.*2 row\(s\):"
                                         r" fakturalinjer.csv line 2, column 'Linjenummer' '=\"1\"': is not a whole"):
        ingest(raw, tmp_path / "e.duckdb")


@pytest.mark.slow
def test_the_synthetic_municipality_as_oioubl_xml_gives_the_same_rates_to_the_ore(
        small_raw: Path, small_db: Path, tmp_path: Path) -> None:
    from analysis.synthetic.oioubl_export import write_oioubl

    raw = tmp_path / "xml"
    shutil.copytree(small_raw, raw)
    documents = write_oioubl(raw)
    db = tmp_path / "xml.duckdb"
    report = ingest(raw, db)
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert f"{documents:,} XML document(s)" in lines.note
    rates = ("SELECT period, ean, eligible_amount, ehandel_amount, eligible_documents, ehandel_documents"
             " FROM unit_period_rates ORDER BY ALL")
    assert query(db, rates) == query(small_db, rates)
    assert query(db, "SELECT sum(amount), count(*) FROM invoice_lines") == query(
        small_db, "SELECT sum(amount), count(*) FROM invoice_lines")


@pytest.mark.slow
def test_xml_documents_in_a_zip_read_like_the_folder_and_open_it_once(small_raw: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A year of e-invoices delivered as one zip reads to the same rows and kroner as the loose
    files, and the archive is opened once to list it and once to read it, not once per document
    (which read its whole central directory every time: a zip of 8,000 documents took 128 s)."""
    from analysis.synthetic.oioubl_export import XML_FOLDER, write_oioubl

    loose = tmp_path / "loose"
    shutil.copytree(small_raw, loose)
    documents = write_oioubl(loose, limit=400)
    zipped = tmp_path / "zipped"
    shutil.copytree(loose, zipped)
    shutil.rmtree(zipped / XML_FOLDER)
    with zipfile.ZipFile(zipped / "e-fakturaer.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((loose / XML_FOLDER).iterdir()):
            archive.write(path, f"2025/{path.name}")
    opened = []

    class Counted(zipfile.ZipFile):
        def __init__(self, file, *args, **kwargs) -> None:
            opened.append(Path(file).name)
            super().__init__(file, *args, **kwargs)

    monkeypatch.setattr(zipfile, "ZipFile", Counted)
    report = ingest(zipped, tmp_path / "zipped.duckdb")
    assert opened.count("e-fakturaer.zip") == 2
    lines = next(f for f in report.files if f.kind == "invoice_lines" and f.file.startswith("e-fakturaer.zip"))
    assert f"{documents:,} XML document(s)" in lines.note
    plain = ingest(loose, tmp_path / "loose.duckdb")
    assert sorted((f.kind, f.rows_read, f.rows_loaded, f.amount_loaded) for f in report.files) == sorted(
        (f.kind, f.rows_read, f.rows_loaded, f.amount_loaded) for f in plain.files)
    rates = "SELECT period, ean, eligible_amount, ehandel_amount FROM unit_period_rates ORDER BY ALL"
    assert query(tmp_path / "zipped.duckdb", rates) == query(tmp_path / "loose.duckdb", rates)


@pytest.mark.slow
def test_foreign_and_cpr_registered_suppliers_are_kept_without_a_cvr(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    template = (Path(__file__).parent / "data" / "foreign_supplier.xml")
    for number, (scheme, value, name) in enumerate([("0007", "SE556677889901", "Svensk AB"),
                                                     ("DK:CPR", "0101901234", "Jens Hansen 010190-1234")]):
        text = template.read_text(encoding="utf-8").format(number=f"X{number}", scheme=scheme, value=value,
                                                           name=name, ean=EANS[0])
        (raw / f"doc{number}.xml").write_text(text, encoding="utf-8")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert query(db, "SELECT supplier_id, supplier_cvr, supplier_name, amount FROM invoice_lines"
                     " WHERE file LIKE 'doc%' ORDER BY supplier_id") == [
        ("CPR-registreret", None, "Jens Hansen [CPR fjernet]", Decimal("120.50")),
        ("SE556677889901", None, "Svensk AB", Decimal("120.50"))]
    assert not query(db, "SELECT * FROM invoice_lines WHERE supplier_name LIKE '%0101901234%'"
                         " OR supplier_id LIKE '%0101901234%'")


KMD_TECHNICAL = ["Metadata", "Dato1", "Numerisk1", "Tekst1", "Tekst2", "Tekst3", "Tekst4", "Tekst5", "Tekst6", "Tekst7",
                 "Tekst8", "Tekst9"]
KMD_OWN = ["1", "Fakturadato", "Beløb", "Leverandørnavn", "EAN-niveau 1", "Varetype", "Ordretype", "EAN-nummer",
           "EAN-niveau 2", "EAN-niveau 3", "EAN-niveau 4", "Kontraktnavn"]


def kmd_row(day: str, amount: str, item_type: str, order_type: str, ean: str = EANS[0],
            unit: str = "Den Lille Skole") -> list[str]:
    return ["", day, amount, "Kontor A/S", "Børn og Unge", item_type, order_type, ean, "Skoler", unit, unit, "SKI 50.40"]


def write_kmd_zip(path: Path, rows: list[list[str]]) -> Path:
    """The KMD Insight e-handel table as TrueLink/Mercell deliver it: a zip holding one cp1252 ';' CSV
    with every field (the header rows too) guarded as ="…", technical names in row 1, own names in row 2."""
    lines = [KMD_TECHNICAL, KMD_OWN, *rows]
    text = "\r\n".join(";".join(f'="{field}"' for field in line) for line in lines) + "\r\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ØKE-handelsfilter.csv", text.encode("cp1252"))
    return path


KMD_ROWS = [
    kmd_row("02-01-2025", "1.000,00", "Kontorartikler", "Katalog"),
    kmd_row("03-01-2025", "2.500,50", "Fødevarer", "Punch-out"),
    kmd_row("04-01-2025", "3.000,00", "Kontorartikler", "Fritekst"),
    kmd_row("05-01-2025", "4.000,00", "Kontorartikler", ""),  # blank Ordretype: looked up as (tom)
    kmd_row("06-01-2025", "5.000,00", "Tjenesteydelser", "Ingen ordre"),
    kmd_row("07-01-2025", "-500,00", "Kontorartikler", "katalog"),  # a credit note; values compared without case
    kmd_row("08-01-2025", "700,00", "Fødevarer", "Katalog", EANS[1], "Rådhusets kantine"),
]


@pytest.mark.slow
def test_the_kmd_ehandel_table_goes_in_unconverted_with_its_ordretype_flag(tmp_path: Path) -> None:
    """A zip, guarded cp1252, Custom Data header, no units file, no orders, no invoice numbers."""
    raw = tmp_path / "raw"
    raw.mkdir()
    write_kmd_zip(raw / "kmd_insight_eksport.zip", KMD_ROWS)
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    table = next(f for f in report.files if f.kind == "ehandel_table")
    assert table.file == "kmd_insight_eksport.zip:ØKE-handelsfilter.csv"
    assert (table.rows_read, table.rows_loaded, table.amount_loaded) == (7, 7, Decimal("15700.50"))
    assert any("2 unit(s) derived" in w and "all with organisation levels" in w for w in report.warnings)
    assert not any("no orders" in w for w in report.warnings)  # the flag is a column here
    assert query(db, "SELECT ean, name, level1, level2, level3 FROM units ORDER BY name") == [
        (EANS[0], "Den Lille Skole", "Børn og Unge", "Skoler", "Den Lille Skole"),
        (EANS[1], "Rådhusets kantine", "Børn og Unge", "Skoler", "Rådhusets kantine")]
    # Kontorartikler and Fødevarer are categories of kategorier.csv (eligible); Tjenesteydelser a rule (not).
    assert query(db, "SELECT ean, eligible_amount, ehandel_amount, count_rate FROM unit_period_rates"
                     " WHERE period_type = 'year' ORDER BY name") == [
        (EANS[0], Decimal("10000.50"), Decimal("3000.50"), None), (EANS[1], Decimal("700.00"), Decimal("700.00"), None)]
    assert query(db, "SELECT eligibility_rule, category, count(*) FROM purchases GROUP BY ALL ORDER BY ALL") == [
        ("varetype", "Fødevarer", 2), ("varetype", "Kontorartikler", 4), ("varetype", "Tjenesteydelser", 1)]
    assert query(db, "SELECT category, mandatory_area, eligible_amount FROM category_period_rates"
                     " WHERE period_type = 'year' ORDER BY category") == [
        ("Fødevarer", "Fødevarer", Decimal("3200.50")), ("Kontorartikler", "Kontorartikler", Decimal("7500.00"))]
    note = query(db, "SELECT value FROM meta WHERE key = 'count_rate'")[0][0]
    assert note.startswith("7 fakturalinje(r) har intet fakturanummer")  # Danish: read in every report
    assert query(db, "SELECT order_type, is_ehandel, document_type FROM invoice_lines ORDER BY line") == [
        ("Katalog", True, "invoice"), ("Punch-out", True, "invoice"), ("Fritekst", False, "invoice"),
        (None, False, "invoice"), ("Ingen ordre", False, "invoice"), ("katalog", True, "credit_note"),
        ("Katalog", True, "invoice")]


@pytest.mark.slow
def test_an_ordretype_not_in_the_values_file_stops_the_ingest_until_it_is_mapped(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_kmd_zip(raw / "e-handelstabel.zip", KMD_ROWS + [kmd_row("09-01-2025", "1.234,00", "Fødevarer", "Telefon"),
                                                         kmd_row("10-01-2025", "10,00", "Fødevarer", "Telefon")])
    db = tmp_path / "e.duckdb"
    db.write_bytes(b"previous database")
    with pytest.raises(InputError, match=r"(?s)Ordretype: value\(s\) not in ordretyper.csv.*'Telefon': 2 row\(s\),"
                                         r" 1,244.00 kr. \(e.g. in e-handelstabel.zip:"):
        ingest(raw, db)
    assert db.read_bytes() == b"previous database"
    shutil.copy(Path(__file__).parents[1] / "data" / "reference" / "ordretyper.csv", raw / "ordretyper.csv")
    with (raw / "ordretyper.csv").open("a", encoding="utf-8") as handle:
        handle.write("Telefon;nej;Bestilt pr. telefon: ikke et elektronisk dokument\n")
    report = ingest(raw, db)
    assert ("ordretyper.csv", "order_types") in {(f.file, f.kind) for f in report.files}
    assert query(db, "SELECT count(*) FROM invoice_lines WHERE order_type = 'Telefon' AND NOT is_ehandel") == [(2,)]


def test_eligibility_keys_apply_in_their_order_of_precedence(tmp_path: Path) -> None:
    """UNSPSC first, then the supplier's CVR, the Varetype, a word of the description; else unclassified."""
    other = "12345674"
    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Kuglepenne", "100,00", "", ""],
        ["F2", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "", "Vikar", "200,00", "", ""],
        ["F3", 1, "10-01-2025", EANS[0], other, "Gartner", "", "Juletræ til hallen", "300,00", "", ""],
        ["F4", 1, "10-01-2025", EANS[0], other, "Gartner", "", "Havearbejde", "400,00", "", ""],
        ["F5", 1, "10-01-2025", EANS[0], other, "Gartner", "80111600", "Juletræ", "500,00", "", ""]])
    write_csv(raw / "egnethed.csv", ["Nøgle", "Værdi", "E-handelsegnet", "Kategori", "Kilde"], [
        ["leverandør", "DK" + CVR, "ja", "Kontorartikler", "leverandør med e-katalog"],
        ["tekst", "juletræ", "ja", "Planter og grønne områder", "test"],
        ["tekst", "træ", "nej", "Træ", "test: the shorter word loses to the longer"]])
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    assert query(db, "SELECT document_no, eligibility_rule, category, eligible, mandatory_area FROM purchases"
                     " ORDER BY document_no") == [
        ("F1", "unspsc", "Kontorartikler", True, "Kontorartikler"),
        ("F2", "leverandør", "Kontorartikler", True, "Kontorartikler"),
        ("F3", "tekst", "Planter og grønne områder", True, None),
        ("F4", None, "Uklassificeret", False, None),
        ("F5", "unspsc", "Konsulent- og vikarydelser", False, None)]


def test_the_art_classifies_lines_without_unspsc_from_its_column_or_the_accounting_string(tmp_path: Path) -> None:
    """Art comes after UNSPSC and before the supplier: 2.2 covers 2.21; hovedart 4 is not eligible; an art
    written x.y inside AccountingCost counts when there is no Art column value; a bad art is blanked."""
    header = [*LINE_HEADER, "Art", "Kontering"]
    rows = [["F1", 1, "10-01-2025", EANS[0], CVR, "Engros A/S", "", "Mælk", "100,00", "", "", "2.21", ""],
            ["F2", 1, "10-01-2025", EANS[0], CVR, "Engros A/S", "", "Kursus", "200,00", "", "", "", "5.22.01.001-4.5-8000"],
            ["F3", 1, "10-01-2025", EANS[0], CVR, "Engros A/S", "44121701", "Kuglepenne", "300,00", "", "", "4.9", ""],
            ["F4", 1, "10-01-2025", EANS[0], CVR, "Engros A/S", "", "Reol", "400,00", "", "", "2,7x", "2.7"],
            ["F5", 1, "10-01-2025", EANS[0], CVR, "Engros A/S", "", "Diverse", "500,00", "", "", "", "22.01.001"]]
    raw = minimal_raw(tmp_path / "raw")
    write_csv(raw / "fakturalinjer.csv", header, rows)
    report = ingest(raw, tmp_path / "e.duckdb")
    assert report.rows_quarantined == 0
    assert query(tmp_path / "e.duckdb", "SELECT document_no, eligibility_rule, category, eligible FROM purchases"
                                        " ORDER BY document_no") == [
        ("F1", "art", "Fødevarer", True),
        ("F2", "art", "Tjenesteydelser", False),
        ("F3", "unspsc", "Kontorartikler", True),
        ("F4", "art", "Anskaffelser", True),  # the bad Art value is blanked, so AccountingCost's 2.7 counts
        ("F5", None, "Uklassificeret", False)]
    assert any("art" in str(b) and "2,7x" in str(b) for b in query(tmp_path / "e.duckdb",
                                                                  "SELECT column_name, example FROM blanked_values"))


@pytest.mark.parametrize("file_name", ["kategorier.csv", "ordretyper.csv", "egnethed.csv"])
def test_each_default_reference_file_reads_without_a_problem(file_name: str) -> None:
    from analysis.ingest.load import DEFAULT_REFERENCE, read_reference
    from analysis.paths import REFERENCE_DIR

    kind = next(k for k, name in DEFAULT_REFERENCE.items() if name == file_name)
    assert len(read_reference(REFERENCE_DIR / file_name, kind)) > 3


@pytest.mark.slow
def test_the_synthetic_municipality_as_the_kmd_table_gives_the_same_kroner_rates_to_the_ore(
        small_raw: Path, small_db: Path, tmp_path: Path) -> None:
    """Ordretype and Varetype carry what orders and UNSPSC did; the invoices can no longer be counted."""
    from analysis.synthetic.kmd_export import write_kmd_table

    raw = tmp_path / "kmd"
    shutil.copytree(small_raw, raw)
    rows = write_kmd_table(raw)
    db = tmp_path / "kmd.duckdb"
    report = ingest(raw, db)
    table = next(f for f in report.files if f.kind == "ehandel_table")
    assert (table.rows_read, table.rows_quarantined) == (rows, 0)
    rates = ("SELECT period_type, period, ean, eligible_amount, ehandel_amount FROM unit_period_rates ORDER BY ALL")
    assert query(db, rates) == query(small_db, rates)
    categories = "SELECT category, period, eligible_amount, ehandel_amount FROM category_period_rates ORDER BY ALL"
    assert query(db, categories) == query(small_db, categories)
    assert query(db, "SELECT count(*) FROM unit_period_rates WHERE count_rate IS NOT NULL"
                     " OR eligible_documents IS NOT NULL") == [(0,)]


@pytest.mark.slow
@needs_realdata
def test_documents_read_by_worker_processes_give_the_same_rows_in_the_same_order() -> None:
    from analysis.ingest.einvoices import Document, open_documents
    from analysis.ingest.schema import INVOICE_LINES

    folder = REALDATA / "oioubl-2.02"
    documents = [Document(path.name, path) for path in sorted(folder.iterdir())
                 if path.name.endswith("Invoice_v2p2.xml") or "CreditNote" in path.name]
    documents.append(Document("broken.xml", Path(__file__).parent / "no-such-file.xml"))  # a worker's error surfaces
    read = {}
    for workers in (0, 2):
        source, chunks = open_documents(INVOICE_LINES, documents[:-1], "xml", folder, workers=workers, batch=3)
        read[workers] = (pa.concat_tables(list(chunks)).to_pylist(), source.notes)
    assert read[2] == read[0]
    assert len(read[0][0]) > len(documents)  # several lines per document: the batches are not one row each
    with pytest.raises(FileNotFoundError):
        list(open_documents(INVOICE_LINES, documents, "xml", folder, workers=2, batch=3)[1])


@pytest.mark.slow
def test_a_messy_export_of_the_same_purchases_gives_the_same_rates(small_raw: Path, small_db: Path,
                                                                   tmp_path: Path) -> None:
    """The synthetic municipality's 2025 invoice lines as a finance system might export them: a
    workbook with a title above the header, dates half as date cells and half as timestamp text,
    every third e-handel order reference in the supplier's own spelling, amounts as numbers and a
    totals row; the 2025 orders as tab-separated Windows text with an .xls name. Every rate, in
    kroner and in counts, equals the clean export's, and the totals row vouches for the lines."""
    raw = tmp_path / "raw"
    shutil.copytree(small_raw, raw)
    source = raw / "fakturalinjer_2025.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle, delimiter=";"))
    source.unlink()
    at = {name: i for i, name in enumerate(header)}
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("fakturalinjer")
    sheet.append(["Fakturalinjer 2025, udtræk fra økonomisystemet"])
    sheet.append([])
    sheet.append(header)
    total, respelled = Decimal(0), 0
    for number, row in enumerate(rows):
        day = datetime.strptime(row[at["Fakturadato"]], "%d-%m-%Y")
        row[at["Fakturadato"]] = day if number % 2 else day.strftime("%Y-%m-%d 00:00:00")
        if row[at["Ordrereference"]].startswith("EH-") and number % 3 == 0:
            row[at["Ordrereference"]] = "Ordre nr. " + row[at["Ordrereference"]].lower().replace("-", " ")
            respelled += 1
        amount = Decimal(row[at["Beløb"]].replace(".", "").replace(",", "."))
        total += amount
        row[at["Beløb"]] = float(amount)
        sheet.append(row)
    sheet.append(["I alt"] + [None] * (at["Beløb"] - 1) + [float(total)])
    book.save(raw / "fakturalinjer_2025.xlsx")
    orders = raw / "ordrer_2025.csv"
    text = orders.read_text(encoding="utf-8-sig").replace(";", "\t")
    orders.unlink()
    (raw / "ordrer_2025.xls").write_bytes(text.encode("cp1252"))
    db = tmp_path / "messy.duckdb"
    report = ingest(raw, db)
    lines = next(f for f in report.files if f.file == "fakturalinjer_2025.xlsx:fakturalinjer")
    assert (lines.rows_read, lines.rows_loaded, lines.rows_quarantined) == (len(rows) + 1, len(rows), 1)
    assert f"says {total:,.2f} kr., which the other rows add up to" in lines.note
    assert f"{respelled:,} line(s) name an e-handel order as written differently" in lines.note
    assert respelled > 100
    for view in ("unit_period_rates", "municipality_period_rates"):
        same = f"SELECT * FROM {view} ORDER BY ALL"
        assert query(db, same) == query(small_db, same), view
