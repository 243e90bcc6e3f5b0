"""The ingest: Danish export quirks, bad input with exact messages, reconciliation, atomicity."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from helpers import CVR, EANS, LINE_HEADER, danish, examples, minimal_raw, quarantine, query, unit_row, write_csv
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.ingest import csv_text, ingest, relations
from analysis.ingest.csv_text import as_utf8, unguard_block


def test_minimal_folder_loads_and_classifies_ehandel(tmp_path: Path) -> None:
    db = tmp_path / "e.duckdb"
    report = ingest(minimal_raw(tmp_path / "raw"), db)
    assert report.rows_quarantined == 0
    assert query(db, "SELECT invoice_no, is_ehandel FROM invoice_lines ORDER BY invoice_no") == [
        ("F1", True), ("F2", False), ("F3", False)]
    # F3 is a service (UNSPSC segment 80): outside numerator and denominator.
    assert query(db, "SELECT eligible_amount, ehandel_amount, rate FROM unit_period_rates"
                     " WHERE period = '2025' ORDER BY ean") == [(Decimal("4000.00"), Decimal("1000.00"), 0.25)]


def test_each_step_is_announced_and_timed(tmp_path: Path) -> None:
    messages: list[str] = []
    report = ingest(minimal_raw(tmp_path / "raw"), tmp_path / "e.duckdb", progress=messages.append)
    names = [name for name, _ in report.steps]
    assert messages == [f"{name} ..." for name in names]
    assert [n for n in names if n.startswith("checking and loading")] == [
        f"checking and loading {kind}" for kind in
        ("categories", "order_types", "eligibility_rules", "units", "orders", "invoice_lines", "card_transactions",
         "agreements")]
    assert "reading fakturalinjer.csv" in names
    assert names[-2:] == ["monthly totals and views", "writing the database"]
    assert all(seconds >= 0 for _, seconds in report.steps)


def test_danish_number_date_and_encoding_conventions(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    write_csv(raw / "fakturalinjer.csv", LINE_HEADER, [
        ["F1", 1, "10-01-2025", EANS[0], "DK" + CVR, "Købmand Ærø", "44121701", "Blæk & søm", "1.234.567,89", "N/A", ""],
        ["F2", 1, "2025-01-11", EANS[0], CVR, "Kontor", "44121701", "x", "-12,5", "", ""],
        ["F3", 1, "12.01.2025", EANS[0], CVR, "Kontor", "44121701", "x", "7", "", ""],
    ], encoding="cp1252")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert query(db, "SELECT invoice_date::VARCHAR, supplier_cvr, supplier_name, amount FROM invoice_lines"
                     " ORDER BY invoice_no") == [
        ("2025-01-10", CVR, "Købmand Ærø", Decimal("1234567.89")),
        ("2025-01-11", CVR, "Kontor", Decimal("-12.50")),
        ("2025-01-12", CVR, "Kontor", Decimal("7.00"))]
    # The header (Leverandør) and the first row are not valid UTF-8; the other rows are plain ASCII.
    assert "2 line(s) read as cp1252" in next(f.note for f in report.files if f.file == "fakturalinjer.csv")


def test_comma_separated_file_with_canonical_headers_uses_decimal_point(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    (raw / "fakturalinjer.csv").unlink()
    write_csv(raw / "invoice_lines.csv", ["invoice_no", "line_no", "invoice_date", "buyer_ean", "supplier_cvr",
                                          "supplier_name", "unspsc", "amount", "order_ref"],
              [["F1", 1, "2025-01-10", EANS[0], CVR, "Kontor, A/S", "44121701", "1234.5", "EH-1"]], delimiter=",")
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    assert query(db, "SELECT supplier_name, amount, is_ehandel FROM invoice_lines") == [
        ("Kontor, A/S", Decimal("1234.50"), True)]


def test_parquet_input(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    (raw / "fakturalinjer.csv").unlink()
    pd.DataFrame({"Fakturanummer": ["F1", "F2"], "Linjenummer": [1, 1],
                  "Fakturadato": pd.to_datetime(["2025-01-10", "2025-02-01"]).date,
                  "EAN-nummer": [EANS[0], EANS[1]], "Leverandør CVR": [CVR, CVR], "Leverandørnavn": ["A", "B"],
                  "UNSPSC": ["44121701", "50131701"], "Beløb": [100.25, 300.0], "Ordrereference": ["EH-1", None],
                  }).to_parquet(raw / "fakturalinjer.parquet")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert query(db, "SELECT sum(amount), count(*) FILTER (is_ehandel) FROM invoice_lines") == [(Decimal("400.25"), 1)]


def test_missing_required_column_stops_with_file_and_column(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    header = [h for h in LINE_HEADER if h != "Beløb"]
    write_csv(raw / "fakturalinjer.csv", header, [["F1", 1, "10-01-2025", EANS[0], CVR, "A", "44121701", "x", "", ""]])
    with pytest.raises(InputError) as error:
        ingest(raw, tmp_path / "e.duckdb")
    assert str(error.value).startswith(
        "fakturalinjer.csv: line 1: missing required column(s) 'Beløb' (or 'amount') for an invoice_lines file")


def test_empty_file_and_missing_kind_are_structural_errors(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    (raw / "ordrer.csv").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"^ordrer.csv: line 1: the file is empty \(no header line\)$"):
        ingest(raw, tmp_path / "e.duckdb")
    (raw / "ordrer.csv").unlink()  # orders are optional: every rate is then 0 %, and the ingest says so
    report = ingest(raw, tmp_path / "e.duckdb")
    assert any(w.startswith("no orders (no ordrer… file, no Order XML documents)") for w in report.warnings)
    (raw / "fakturalinjer.csv").unlink()
    with pytest.raises(InputError, match="no source found for invoice_lines"):
        ingest(raw, tmp_path / "e.duckdb")


def test_bad_rows_are_quarantined_with_file_line_column_value_and_reason(tmp_path: Path) -> None:
    good = ["F1", 1, "10-01-2025", EANS[0], CVR, "A", "44121701", "x", "100,00", "N/A", ""]
    rows = [
        good,
        ["F2", 1, "31-02-2025", EANS[0], CVR, "A", "44121701", "x", "100,00", "N/A", ""],
        ["F3", 1, "10-01-2025", EANS[0], CVR, "A", "44121701", "x", "12,3,4", "N/A", ""],
        ["F4", 1, "10-01-2025", "5798000000019", CVR, "A", "44121701", "x", "100,00", "N/A", ""],
        ["F5", 1, "10-01-2025", EANS[2], CVR, "A", "44121701", "x", "100,00", "N/A", ""],
        ["F6", 1, "10-01-2025", EANS[0], "1234", "A", "44121701", "x", "100,00", "N/A", ""],
        ["F7", 1, "10-01-2025", EANS[0], CVR, "A", "4412", "x", "100,00", "N/A", ""],
        ["F1", 1, "11-01-2025", EANS[0], CVR, "A", "44121701", "dup", "50,00", "N/A", ""],
        ["F8", 1, "10-01-2025", EANS[0], CVR, "A"],
        ["", 1, "10-01-2025", EANS[0], CVR, "A", "44121701", "x", "100,00", "N/A", ""],
        ["F9", 1, "10-01-2025", EANS[0], CVR, "A", "44121701", "x", "2.000.000.000,00", "N/A", ""],
    ]
    raw = minimal_raw(tmp_path / "raw", lines=rows)
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert quarantine(db) == [
        ("fakturalinjer.csv", 3, "invoice_date", "31-02-2025", "is not a valid date (expected dd-mm-yyyy)"),
        ("fakturalinjer.csv", 4, "amount", "12,3,4", "is not a valid amount (expected e.g. 1.234,50, at most two decimals)"),
        ("fakturalinjer.csv", 5, "buyer_ean", "5798000000019", "has a wrong EAN/GLN check digit"),
        ("fakturalinjer.csv", 6, "buyer_ean", EANS[2], "is not a unit in the units file"),
        ("fakturalinjer.csv", 7, "supplier_cvr", "1234", "is not an 8-digit CVR number"),
        ("fakturalinjer.csv", 9, None, None, "duplicate of fakturalinjer.csv line 2"),
        ("fakturalinjer.csv", 10, None, None, "expected 11 fields separated by ';', found 6"),
        ("fakturalinjer.csv", 11, "invoice_no", "", "is missing"),
        ("fakturalinjer.csv", 12, "amount", "2.000.000.000,00", "is implausibly large (1 bn kr. or more)"),
    ]
    assert "fakturalinjer.csv line 3, column 'Fakturadato' '31-02-2025': is not a valid date (expected dd-mm-yyyy)" \
        in report.problems
    lines = next(f for f in report.files if f.file == "fakturalinjer.csv")
    # Line 8's UNSPSC '4412' is an optional value that does not parse: blanked and counted, the row kept.
    assert (lines.rows_read, lines.rows_loaded, lines.rows_quarantined) == (11, 2, 9)
    assert "UNSPSC: 1 value(s) blanked, is not an 8-digit UNSPSC code (e.g. '4412')" in lines.note
    assert query(db, "SELECT invoice_no, unspsc FROM invoice_lines WHERE invoice_no = 'F7'") == [("F7", None)]
    assert lines.amount_loaded + lines.amount_quarantined == lines.amount_read
    # Every parseable amount counts, the implausible one too: 5 x 100 + 50 + 2 bn (line 4 and 10 have none).
    assert lines.amount_quarantined == Decimal("2000000550.00")


def test_unknown_units_on_most_rows_stop_the_ingest(tmp_path: Path) -> None:
    rows = [[f"F{i}", 1, "10-01-2025", EANS[3], CVR, "A", "44121701", "x", "1,00", "", ""] for i in range(3)]
    raw = minimal_raw(tmp_path / "raw", lines=rows)
    with pytest.raises(InputError, match="fakturalinjer.csv: 3 of 3 rows have a buyer EAN that is not in the units file"):
        ingest(raw, tmp_path / "e.duckdb")


def test_failed_ingest_leaves_previous_database_untouched(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    before = db.read_bytes()
    write_csv(raw / "fakturalinjer.csv", ["Fakturanummer"], [["F1"]])
    with pytest.raises(InputError):
        ingest(raw, db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.duckdb", "raw"]  # no temporary files left


def test_a_file_that_fails_while_read_ahead_stops_the_ingest_cleanly(tmp_path: Path, monkeypatch) -> None:
    """The CSV files' text is prepared in a second thread while DuckDB reads: an error there still
    stops the ingest, leaves the previous database as it was and no work files behind."""
    raw = minimal_raw(tmp_path / "raw", cards=[["K1", "03-01-2025", EANS[0], "Føtex", "50101500", "12,50", "Åse Ærø"]])
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    before = db.read_bytes()
    line_blocks = csv_text.line_blocks

    def failing(path: Path, size: int = 1 << 24):
        if path.name == "ordrer.csv":
            raise OSError(f"{path}: read error")
        return line_blocks(path, size)

    monkeypatch.setattr(csv_text, "line_blocks", failing)
    with pytest.raises(OSError, match="ordrer.csv: read error"):
        ingest(raw, db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.duckdb", "raw"]


@pytest.mark.slow
def test_reingesting_the_same_files_does_not_duplicate(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    first = query(db, "SELECT count(*), sum(amount) FROM invoice_lines")
    ingest(raw, db)
    assert query(db, "SELECT count(*), sum(amount) FROM invoice_lines") == first


def test_card_transactions_drop_cardholder_and_are_never_ehandel(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw", cards=[
        ["K1", "05-01-2025", EANS[0], "Supermarkedet", "50131701", "99,95", "Søren Ærbødig"],
        ["K2", "06-01-2025", EANS[0], "Boghandlen", "55101500", "-10,00", "Åse Øster"]])
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    columns = [row[0] for row in query(db, "SELECT column_name FROM information_schema.columns"
                                           " WHERE table_name = 'card_transactions'")]
    assert "cardholder" not in columns and "description" not in columns
    assert query(db, "SELECT count(*) FROM purchases WHERE source = 'kort' AND NOT is_ehandel") == [(2,)]


def test_credit_note_without_document_type_is_derived_and_nets(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "A", "44121701", "x", "1.000,00", "EH-1", ""],
        ["K1", 1, "20-01-2025", EANS[0], CVR, "A", "44121701", "retur", "-400,00", "EH-1", ""],
        ["F2", 1, "15-01-2025", EANS[0], CVR, "A", "44121701", "x", "600,00", "N/A", ""],
    ])
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    assert query(db, "SELECT invoice_no, document_type FROM invoice_lines ORDER BY invoice_no") == [
        ("F1", "invoice"), ("F2", "invoice"), ("K1", "credit_note")]
    assert query(db, "SELECT ehandel_amount, eligible_amount, eligible_documents, ehandel_documents"
                     " FROM unit_period_rates WHERE period = '2025'") == [
        (Decimal("600.00"), Decimal("1200.00"), 2, 1)]


def test_units_with_a_duplicate_ean_are_quarantined_and_a_negative_budget_blanked(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw", units=[
        unit_row(EANS[0], "Skolen"), unit_row(EANS[1], "Rådhuset"), unit_row(EANS[1], "Rådhuset igen"),
        [EANS[2], "Minus", "A", "B", "C", "D", "skole", danish(-5)]])
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    assert quarantine(db) == [("enheder.csv", 4, None, None, "duplicate of enheder.csv line 3")]
    assert query(db, f"SELECT name, goods_budget FROM units WHERE ean = '{EANS[2]}'") == [("Minus", None)]



@pytest.mark.slow
def test_partitioned_parquet_folders_from_several_municipalities(tmp_path: Path) -> None:
    from analysis.synthetic.municipality import generate

    summary = generate(tmp_path / "raw", seed=5, years=(2025,), scale=0.05, municipalities=3, file_format="parquet")
    db = tmp_path / "e.duckdb"
    report = ingest(tmp_path / "raw", db)
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert lines.file == "fakturalinjer/" and lines.rows_read == lines.rows_loaded == summary.invoice_lines
    assert query(db, "SELECT count(DISTINCT municipality), count(*) FROM units") == [(3, summary.units)]
    assert query(db, "SELECT count(DISTINCT file) FROM invoice_lines") == [(3,)]
    assert query(db, "SELECT min(file) FROM invoice_lines")[0][0].startswith("fakturalinjer/kommune=001/aar=2025/")


def test_lines_from_two_systems_utf8_and_cp1252_in_one_file(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    rows = [["F1", 1, "10-01-2025", EANS[0], CVR, "Købmand Ærø", "44121701", "UTF-8 linje", "10,00", "", ""],
            ["F2", 1, "11-01-2025", EANS[0], CVR, "Søstrene Grøn", "44121701", "cp1252 linje", "20,00", "", ""],
            ["F3", 1, "12-01-2025", EANS[0], CVR, "Kontor", "44121701", "ASCII", "30,00", "", ""]]
    path = write_csv(raw / "fakturalinjer.csv", LINE_HEADER, rows[:1])
    with path.open("ab") as handle:  # one line from a Windows system, one plain line
        handle.write(";".join(str(v) for v in rows[1]).encode("cp1252") + b"\r\n")
        handle.write(";".join(str(v) for v in rows[2]).encode("ascii") + b"\r\n")
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert report.rows_quarantined == 0
    assert query(db, "SELECT supplier_name, amount FROM invoice_lines ORDER BY invoice_no") == [
        ("Købmand Ærø", Decimal("10.00")), ("Søstrene Grøn", Decimal("20.00")), ("Kontor", Decimal("30.00"))]
    assert next(f.note for f in report.files if f.file == "fakturalinjer.csv") == "1 line(s) read as cp1252"


def test_utf8_copies_of_windows_exports_are_removed_once_read(tmp_path: Path) -> None:
    """A national set of cp1252 exports would otherwise be copied whole into the work folder."""
    raw = minimal_raw(tmp_path / "raw", cards=[["K1", "03-01-2025", EANS[0], "Føtex", "50101500", "12,50", "Åse"]])
    copies_when_checking = []

    def progress(message: str) -> None:
        if message.startswith("checking and loading"):
            copies_when_checking.extend(tmp_path.glob(".e.duckdb.*/*.utf8.csv*"))  # the copy's parts

    report = ingest(raw, tmp_path / "e.duckdb", progress=progress)
    assert next(f.note for f in report.files if f.file == "kort.csv") == "2 line(s) read as cp1252"
    assert copies_when_checking == []


@pytest.mark.slow
def test_duckdb_reader_and_python_reader_load_the_same_rows(tmp_path: Path) -> None:
    """A clean file goes through DuckDB's CSV reader; the same rows with a blank line in between
    (which would shift DuckDB's line numbers) go through the Python reader. Same result."""
    rows = [["F1", 1, "10-01-2025", EANS[0], "DK" + CVR, "Købmand", "44121701", "x", "1.234,50", "EH-1", ""],
            ["F2", 1, "11-01-2025", EANS[1], CVR, "Kontor", "44121701", "y", "-7", "", "Aftale"],
            ["F3", 1, "31-02-2025", EANS[0], CVR, "Kontor", "44121701", "z", "7", "", ""],
            ["F4", 1, "12-01-2025", EANS[0], CVR, "Kontor", "4412170", "z", "abc", "", ""]]
    tables = []
    for name, blank in (("native", False), ("python", True)):
        raw = minimal_raw(tmp_path / name)
        path = write_csv(raw / "fakturalinjer.csv", LINE_HEADER, rows)
        if blank:
            path.write_bytes(path.read_bytes() + b"\r\n")
        db = tmp_path / f"{name}.duckdb"
        ingest(raw, db)
        tables.append((query(db, "SELECT * EXCLUDE (file) FROM invoice_lines ORDER BY line"), quarantine(db)))
    assert tables[0] == tables[1]
    assert len(tables[0][0]) == 2 and [q[2:] for q in tables[0][1]] == [
        ("invoice_date", "31-02-2025", "is not a valid date (expected dd-mm-yyyy)"),
        ("amount", "abc", "is not a valid amount (expected e.g. 1.234,50, at most two decimals)")]


@pytest.mark.slow
def test_a_copy_read_in_parts_gives_the_same_rows_lines_and_quarantine(tmp_path: Path, monkeypatch) -> None:
    """A Windows export's UTF-8 copy is written and read in parts (DuckDB reads one while the next
    is written): the row ids that give line numbers continue across parts, and a quoted line break
    that a part boundary cuts sends the file to the Python reader, with the same result."""
    rows = [["F%d" % i, 1, "10-01-2025", EANS[i % 2], CVR, "Købmand Ærø", "44121701", "vare – 1 €", "1.234,50", "", ""]
            for i in range(40)]  # – and € are where cp1252 and latin-1 differ: only a UTF-8 copy reads them
    rows[27][8] = "abc"
    results, read_by_duckdb = [], {}
    csv_relation = relations._csv_relation

    def spy(con, source, order, text):
        relation = csv_relation(con, source, order, text)
        if source.name == "fakturalinjer.csv":
            read_by_duckdb[name] = relation is not None
        return relation

    monkeypatch.setattr(relations, "_csv_relation", spy)
    parts_written = []
    monkeypatch.setattr(csv_text.Utf8Text, "done_with", lambda self, part: parts_written.append(part.name))
    for name, part_bytes, broken in (("whole", 1 << 23, False), ("parts", 300, False), ("quoted", 300, True)):
        monkeypatch.setattr(csv_text, "_PART_BYTES", part_bytes)
        raw = minimal_raw(tmp_path / name)
        if broken:
            rows[20][7] = "to\nlinjer €"  # a quoted line break: DuckDB's reader cannot number the lines
        write_csv(raw / "fakturalinjer.csv", LINE_HEADER, rows, encoding="cp1252")
        db = tmp_path / f"{name}.duckdb"
        report = ingest(raw, db)
        results.append((query(db, "SELECT invoice_no, line, amount FROM invoice_lines ORDER BY line"), quarantine(db),
                        next(f.note for f in report.files if f.file == "fakturalinjer.csv")))
    whole, parts, quoted = results
    assert read_by_duckdb == {"whole": True, "parts": True, "quoted": False}
    assert max(int(part.rsplit(".", 1)[1]) for part in parts_written if ".utf8.csv." in part) > 10
    assert parts == whole and len(whole[0]) == 39 and whole[1][0][:3] == ("fakturalinjer.csv", 29, "amount")
    assert quoted[1][0][:3] == ("fakturalinjer.csv", 30, "amount")  # one line further down: the record has two
    assert [row[0] for row in quoted[0]] == [row[0] for row in whole[0]]


@pytest.mark.slow
def test_a_windows_export_is_read_where_it_lies_when_latin1_means_the_same_and_copied_when_not(
        tmp_path: Path, monkeypatch) -> None:
    """cp1252 and latin-1 agree but for the bytes 0x80-0x9F, so a Windows export without them is
    read by DuckDB where it lies (no copy); one that turns out, after its first block, to hold a
    UTF-8 line or such a byte is read again from a UTF-8 copy. Every form gives the same rows."""
    monkeypatch.setattr(csv_text, "_PART_BYTES", 400)  # blocks of a few lines
    copies: list[str] = []
    done_with = csv_text.Utf8Text.done_with

    def spy(self, part: Path) -> None:
        copies.extend([part.name] if ".utf8.csv" in part.name else [])
        done_with(self, part)

    monkeypatch.setattr(csv_text.Utf8Text, "done_with", spy)
    rows = [["F%d" % i, 1, "10-01-2025", EANS[i % 2], CVR, "Købmand Ærø", "44121701", "vare", "12,50", "", ""]
            for i in range(30)]
    header = ";".join(LINE_HEADER) + "\r\n"
    ascii_header = "invoice_no;line_no;invoice_date;buyer_ean;supplier_cvr;supplier_name;unspsc;description;amount;" \
                   "order_ref;contract\r\n"  # the columns' own names
    lines = [";".join(str(v) for v in row) + "\r\n" for row in rows]
    forms = {
        "utf-8": (header + "".join(lines)).encode("utf-8"),
        "cp1252": (header + "".join(lines)).encode("cp1252"),  # read in place, as latin-1
        "cp1252, a UTF-8 line late": (header + "".join(lines[:25])).encode("cp1252") + "".join(lines[25:]).encode(),
        "ASCII first, cp1252 late": (ascii_header + "".join(line.replace("Købmand Ærø", "Kobmand")
                                                            for line in lines[:20])).encode()
                                    + "".join(lines[20:]).encode("cp1252"),
    }
    results, copied = {}, {}
    for name, body in forms.items():
        raw = minimal_raw(tmp_path / name.replace(" ", "_").replace(",", ""))
        (raw / "fakturalinjer.csv").write_bytes(body)
        copies.clear()
        ingest(raw, tmp_path / "e.duckdb")
        results[name] = query(tmp_path / "e.duckdb", "SELECT line, supplier_name, amount FROM invoice_lines ORDER BY line")
        copied[name] = bool(copies)
    assert copied == {"utf-8": False, "cp1252": False, "cp1252, a UTF-8 line late": True, "ASCII first, cp1252 late": True}
    assert results["cp1252"] == results["utf-8"] == results["cp1252, a UTF-8 line late"]
    assert {row[1] for row in results["ASCII first, cp1252 late"]} == {"Kobmand", "Købmand Ærø"}


@pytest.mark.slow
def test_a_guarded_file_with_some_fields_not_guarded_reads_like_a_plain_one(tmp_path: Path) -> None:
    """A guarded file is read with ``;=`` as its separator; where a field is not guarded (a number
    written plainly) or a value holds ``;=``, that split is wrong and the file is read again with its
    guards rewritten: the same rows either way."""
    rows = [["F%d" % i, "1", "10-01-2025", EANS[i % 2], CVR, "Købmand; Ærø", "44121701", "vare", "12,50", "", ""]
            for i in range(30)]
    plain = minimal_raw(tmp_path / "plain")
    write_csv(plain / "fakturalinjer.csv", LINE_HEADER, rows, encoding="cp1252")
    expected = None
    for name, guard in (("all", lambda i, v: True), ("numbers plain", lambda i, v: i != 8),
                        ("separator in a value", lambda i, v: True)):
        raw = minimal_raw(tmp_path / name.replace(" ", "_"))
        body = [LINE_HEADER] + [[v.replace("vare", "a;=b") if name == "separator in a value" else v for v in row]
                                for row in rows]
        text = "".join(";".join(f'="{v}"' if guard(i, v) or row is body[0] else v for i, v in enumerate(row)) + "\r\n"
                       for row in body)
        (raw / "fakturalinjer.csv").write_bytes(text.encode("cp1252"))
        ingest(raw, tmp_path / "e.duckdb")
        got = query(tmp_path / "e.duckdb", "SELECT line, invoice_no, supplier_name, description, amount FROM invoice_lines"
                                           " ORDER BY line")
        if name == "separator in a value":
            assert {row[3] for row in got} == {"a;=b"}
            got = [row[:3] + ("vare",) + row[4:] for row in got]
        expected = expected or got
        assert got == expected and len(got) == 30 and got[0][1:3] == ("F0", "Købmand; Ærø")
    assert quarantine(tmp_path / "e.duckdb") == []


def test_typed_parquet_columns_are_taken_as_they_are_and_still_checked(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    (raw / "fakturalinjer.csv").unlink()
    pd.DataFrame({"Fakturanummer": ["F1", "F2", "F3", "F4"], "Linjenummer": [1, 1, 1, 1],
                  "Fakturadato": pd.to_datetime(["2025-01-10", "2025-02-01", None, "1985-01-01"]).date,
                  "EAN-nummer": [EANS[0]] * 4, "Leverandør CVR": [CVR] * 4, "Leverandørnavn": ["A"] * 4,
                  "UNSPSC": ["44121701"] * 4, "Beløb": [100.25, 2e9, 5.0, 6.0], "Ordrereference": [None] * 4,
                  }).to_parquet(raw / "fakturalinjer.parquet")
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    assert query(db, "SELECT invoice_no, invoice_date::VARCHAR, amount FROM invoice_lines") == [
        ("F1", "2025-01-10", Decimal("100.25"))]
    assert quarantine(db) == [
        ("fakturalinjer.parquet", 2, "amount", "2000000000.00", "is implausibly large (1 bn kr. or more)"),
        ("fakturalinjer.parquet", 3, "invoice_date", None, "is missing"),
        ("fakturalinjer.parquet", 4, "invoice_date", "1985-01-01", "is outside the years 1990-2100")]


def _line_by_line(block: bytes) -> tuple[bytes, int]:
    """The definition the transcoder must keep: each line UTF-8 where it is, else cp1252."""
    out, converted = [], 0
    for line in block.split(b"\n"):
        try:
            out.append(line.decode("utf-8").encode("utf-8"))
        except UnicodeDecodeError:
            converted += 1
            out.append(line.decode("cp1252", errors="replace").encode("utf-8"))
    return b"\n".join(out), converted


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abcæøåÆØÅé€’–;\"=", max_size=12),
                          st.sampled_from(["utf-8", "cp1252"])), max_size=8))
def test_transcoding_a_block_equals_decoding_it_line_by_line(lines: list[tuple[str, str]]) -> None:
    """The one-call cp1252 path (a block with no possible UTF-8 character) and the line-by-line path
    give what decoding each line on its own gives."""
    block = b"\n".join(text.encode(encoding, errors="replace") for text, encoding in lines) + b"\n"
    assert as_utf8(block) == _line_by_line(block)


def test_guards_are_stripped_at_every_field_and_line_start() -> None:
    block = b'="a";="0042";="x;y"\r\n="b";="";="1,5"\r\n'
    assert unguard_block(block, b";") == b'"a";"0042";"x;y"\r\n"b";"";"1,5"\r\n'


def test_two_amount_columns_take_the_one_excluding_vat_and_other_pairs_are_refused(tmp_path: Path) -> None:
    """An ERP export with Beløb (incl. VAT) beside Beløb ekskl. moms: never the VAT-inclusive one."""
    raw = minimal_raw(tmp_path / "raw")
    header = [*LINE_HEADER[:8], "Beløb", "Beløb ekskl. moms", *LINE_HEADER[9:]]
    assert LINE_HEADER[8] == "Beløb"
    write_csv(raw / "fakturalinjer.csv", header, [
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Kuglepenne", "1.250,00", "1.000,00", "EH-1", ""]])
    ingest(raw, tmp_path / "e.duckdb")
    assert query(tmp_path / "e.duckdb", "SELECT amount FROM invoice_lines") == [(Decimal("1000.00"),)]
    write_csv(raw / "fakturalinjer.csv", [*LINE_HEADER[:6], "Leverandør", *LINE_HEADER[6:]], [
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "Kontor ApS", "44121701", "Kuglepenne", "1.000,00", "EH-1", ""]])
    with pytest.raises(InputError, match="the headers 'Leverandørnavn' and 'Leverandør' all mean the column"
                                         " supplier_name of a invoice_lines file"):
        ingest(raw, tmp_path / "e.duckdb")
    assert query(tmp_path / "e.duckdb", "SELECT amount FROM invoice_lines") == [(Decimal("1000.00"),)]


@pytest.mark.slow
def test_credit_notes_net_against_purchases_whatever_the_sign_convention(tmp_path: Path) -> None:
    """Kreditnota lines written positive are negated; a file mixing both conventions is refused."""
    header = [*LINE_HEADER, "Dokumenttype"]
    invoice = ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Kuglepenne", "1.000,00", "N/A", "",
               "Faktura"]
    positive = ["K1", 1, "12-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Retur", "200,00", "N/A", "", "Kreditnota"]
    negative = ["K2", 1, "13-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Retur", "-50,00", "N/A", "",
                "Kreditnota"]
    raw = minimal_raw(tmp_path / "raw")
    write_csv(raw / "fakturalinjer.csv", header, [invoice, positive])
    report = ingest(raw, tmp_path / "e.duckdb")
    assert query(tmp_path / "e.duckdb", "SELECT invoice_no, amount FROM invoice_lines ORDER BY 1") == [
        ("F1", Decimal("1000.00")), ("K1", Decimal("-200.00"))]
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert lines.amount_loaded == Decimal("800.00") == lines.amount_read
    write_csv(raw / "fakturalinjer.csv", header, [invoice, positive, negative])
    with pytest.raises(InputError, match="fakturalinjer.csv: credit notes are written both with positive lines"
                                         " \\(e.g. K1\\) and with negative ones \\(e.g. K2\\)"):
        ingest(raw, tmp_path / "e.duckdb")


def test_a_file_whose_rows_nearly_all_share_one_problem_stops_the_ingest_with_a_fix(tmp_path: Path) -> None:
    """Excel turned every EAN of the orders into 5,79801E+12: a wrong file, not 30 bad rows."""
    from helpers import ORDER_HEADER

    raw = minimal_raw(tmp_path / "raw")
    write_csv(raw / "ordrer.csv", ORDER_HEADER, [[f"EH-{i}", "02-01-2025", "5,79801E+12", CVR, "100,00"]
                                                 for i in range(30)])
    with pytest.raises(InputError, match="ordrer.csv: 30 of its 30 rows have the same problem.*"
                                         "scientific notation.*format the column as text"):
        ingest(raw, tmp_path / "e.duckdb")


@pytest.mark.parametrize(("text", "kroner"), [
    ("1.234,50 kr.", "1234.50"), ("1.234,50-", "-1234.50"), ("(1.234,50)", "-1234.50"), ("\u22121.234,50", "-1234.50"),
    ("1 234,50", "1234.50"), ("1\u00a0234\u00a0567,50", "1234567.50"), ("100,500", "100.50"), ("1.234,50 DKK", "1234.50"),
    ("1,2345E+03", "1234.50"), ("-1,5e2", "-150.00"), ("1,23456E+01", None),
    ("100,555", None), ("1.50", None), ("12 34", None)])
@pytest.mark.slow
def test_amounts_as_danish_exports_write_them_are_read_exactly_or_quarantined(
        tmp_path: Path, text: str, kroner: str | None) -> None:
    """Trailing minus (SAP/KMD), parentheses, kr., the Unicode minus, spaces as thousands: exact; three
    decimals and a point that could be either separator: quarantined, never rounded or guessed."""
    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Kuglepenne", "100,00", "N/A", ""],
        ["F2", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Blæk", text, "N/A", ""]])
    report = ingest(raw, tmp_path / "e.duckdb")
    loaded = query(tmp_path / "e.duckdb", "SELECT amount FROM invoice_lines WHERE invoice_no = 'F2'")
    if kroner is None:
        assert loaded == [] and report.rows_quarantined == 1
    else:
        assert loaded == [(Decimal(kroner),)] and report.rows_quarantined == 0


def test_cpr_numbers_are_masked_in_every_free_text_field(tmp_path: Path) -> None:
    """Sole traders and people's names turn up in supplier, shop, contract and unit names too."""
    cpr = "010203-1234"
    raw = minimal_raw(tmp_path / "raw", units=[unit_row(EANS[0], f"Dagplejer {cpr}"), unit_row(EANS[1], "Rådhuset")],
                      lines=[["F1", 1, "10-01-2025", EANS[0], CVR, f"Tømrer {cpr}", "44121701", f"Note {cpr}", "100,00",
                              "N/A", f"Aftale {cpr}"]],
                      cards=[["K1", "03-01-2025", EANS[0], f"Kiosk {cpr}", "50101500", "12,50", "Åse"]])
    (raw / "kommune.txt").write_text(f"Kommune {cpr}\n", encoding="utf-8")
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in ("units", "invoice_lines", "card_transactions", "meta"):
            values = con.execute(f"SELECT * FROM {table}").fetchall()
            assert not any("1234" in str(value) and "0102" in str(value) for row in values for value in row), table
        assert con.execute("SELECT name FROM units WHERE ean = ?", [EANS[0]]).fetchone() == ("Dagplejer [CPR fjernet]",)
    finally:
        con.close()
