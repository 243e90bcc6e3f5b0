"""Export quirks of real Danish files (issue #21): each one reproduced, then read as an analyst would want."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import CVR, EANS, LINE_HEADER, minimal_raw, quarantine, query

import analysis.ingest.load as load
from analysis.errors import InputError
from analysis.ingest import ingest, relations

HEADER = ";".join(LINE_HEADER)


def _lines(raw: Path, rows: list[str], trailing_blank_line: bool = False) -> Path:
    """Invoice lines written as raw text, exactly as given (no CSV quoting)."""
    text = "\r\n".join([HEADER, *rows]) + "\r\n" + ("\r\n" if trailing_blank_line else "")
    (raw / "fakturalinjer.csv").write_text(text, encoding="utf-8")
    return raw


@pytest.mark.slow
@pytest.mark.parametrize("reader", ["duckdb", "python"])
def test_an_unquoted_separator_in_a_value_never_shifts_an_amount(tmp_path: Path, reader: str) -> None:
    """``Batterier AA;4`` unquoted, with the last column empty: DuckDB's reader took the extra empty
    field as a trailing separator and loaded ``4`` as the amount. Both readers now quarantine the
    row with the reason; a row whose last column is legitimately empty still loads."""
    raw = _lines(minimal_raw(tmp_path / "raw"), [
        f"F1;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Kuglepenne;1.000,00;EH-1;",
        f"F2;1;15-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Batterier AA;4;3.000,00;N/A;",
    ], trailing_blank_line=reader == "python")  # a blank line makes the ingest use the Python reader
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    assert query(db, "SELECT invoice_no, amount FROM invoice_lines") == [("F1", Decimal("1000.00"))]
    ((_, line, _, _, reason),) = quarantine(db)
    found = "12" if reader == "python" else "more"
    assert (line, reason) == (3, f"expected 11 fields separated by ';', found {found} (a separator inside a value"
                                 " that is not quoted? The row is left out rather than read with its values in"
                                 " the wrong columns)")
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert (lines.rows_read, lines.rows_loaded, lines.rows_quarantined) == (2, 1, 1)


def test_a_row_with_fields_missing_is_quarantined_by_duckdbs_reader_too(tmp_path: Path, monkeypatch) -> None:
    read_by_duckdb = []
    original = relations._csv_relation
    monkeypatch.setattr(relations, "_csv_relation", lambda *a: read_by_duckdb.append(original(*a)) or read_by_duckdb[-1])
    raw = _lines(minimal_raw(tmp_path / "raw"), [
        f"F1;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Kuglepenne;1.000,00;EH-1;",
        f"F3;1;20-01-2025;{EANS[1]};{CVR};Kontor A/S;80111600;Vikar;5.000,00;N/A"])
    db = tmp_path / "db.duckdb"
    ingest(raw, db)
    assert [(line, reason) for _, line, _, _, reason in quarantine(db)] == [
        (3, "expected 11 fields separated by ';', found 10")]
    assert None not in read_by_duckdb  # no file fell back to the Python reader


def _orders_text(raw: Path) -> str:
    return (raw / "ordrer.csv").read_text(encoding="utf-8-sig")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ordrer.csv", "ordrer.csv.gz"])
def test_a_gzip_compressed_export_is_read_as_the_file_inside(tmp_path: Path, name: str) -> None:
    """A gzip file named .csv skipped the orders with a warning, and every rate became 0 %."""
    raw = minimal_raw(tmp_path / "raw")
    text = _orders_text(raw)
    (raw / "ordrer.csv").unlink()
    (raw / name).write_bytes(gzip.compress(text.encode("utf-8")))
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    assert not report.ignored_files and not report.warnings
    orders = next(f for f in report.files if f.kind == "orders")
    assert (orders.file, orders.rows_read, orders.rows_loaded) == (name, 1, 1)
    assert query(db, "SELECT count(*) FILTER (is_ehandel) FROM invoice_lines") == [(1,)]


def test_excels_unicode_text_utf16_tab_separated_with_danish_amounts_is_read(tmp_path: Path) -> None:
    """Orders saved by Excel as "Unicode text" (UTF-16 LE with BOM, tabs): a header of NUL bytes
    before; then, decoded, every Danish amount quarantined because tabs implied a decimal point."""
    raw = minimal_raw(tmp_path / "raw")
    text = _orders_text(raw).replace(";", "\t")
    (raw / "ordrer.csv").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    orders = next(f for f in report.files if f.kind == "orders")
    assert (orders.rows_read, orders.rows_loaded, orders.amount_loaded) == (1, 1, Decimal("1000.00"))


def test_tab_separated_amounts_with_a_decimal_point_are_read_with_the_point(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    text = _orders_text(raw).replace(";", "\t").replace("1.000,00", "1000.50")
    (raw / "ordrer.csv").write_text(text, encoding="utf-8")
    db = tmp_path / "db.duckdb"
    ingest(raw, db)
    assert query(db, "SELECT amount FROM orders") == [(Decimal("1000.50"),)]


def test_a_card_file_without_its_header_line_is_refused_without_echoing_the_cardholder(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw", cards=[["T1", "05-01-2025", EANS[0], "Netto", "", "123,00", "Jens Jensen"]])
    path = raw / "kort.csv"
    path.write_bytes(path.read_bytes().split(b"\r\n", 1)[1])  # the header line removed
    with pytest.raises(InputError) as error:
        ingest(raw, tmp_path / "db.duckdb")
    message = str(error.value)
    assert message.startswith("kort.csv: line 1: this line holds data") and "without its header line" in message
    assert "Jens" not in message and "Netto" not in message


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16"])
def test_kommune_txt_is_read_in_any_encoding_notepad_saves(tmp_path: Path, encoding: str) -> None:
    raw = minimal_raw(tmp_path / "raw")
    (raw / "kommune.txt").write_bytes("Høje-Taastrup Kommune\r\n".encode(encoding))
    db = tmp_path / "db.duckdb"
    ingest(raw, db)
    assert query(db, "SELECT value FROM meta WHERE key = 'municipality'") == [("Høje-Taastrup Kommune",)]


@pytest.mark.parametrize("budget, reason", [("774.000,00-", "is negative"),
                                            ("774.000,00 DKK ex", "is not a valid amount")])
@pytest.mark.slow
def test_one_bad_goods_budget_keeps_its_unit_and_purchases(tmp_path: Path, budget: str, reason: str) -> None:
    """A budget written 774.000,00- quarantined the unit, then every purchase of it, with exit 0.
    Now the budget is blanked and counted; the unit and its invoice lines stay."""
    raw = minimal_raw(tmp_path / "raw")
    units = raw / "enheder.csv"
    units.write_text(units.read_text(encoding="utf-8-sig").replace("200.000,00", budget), encoding="utf-8")
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    assert query(db, "SELECT ean, goods_budget FROM units ORDER BY ean") == [
        (EANS[1], Decimal("100000.00")), (EANS[0], None)]
    assert query(db, "SELECT count(*) FROM invoice_lines WHERE buyer_ean = ?", [EANS[0]]) == [(2,)]
    assert not quarantine(db)
    note = next(f.note for f in report.files if f.kind == "units")
    assert "1 value(s) blanked" in note and reason in note and budget in note


@pytest.mark.parametrize("text, kroner", [("1234.50", "1234.50"), ("1.2345E+03", "1234.50"), ("100.555", None),
                                          ("100.5", "100.50")])
@pytest.mark.slow
def test_decimal_point_amounts_are_exact_or_quarantined_never_rounded(tmp_path: Path, text: str,
                                                                      kroner: str | None) -> None:
    """In a comma-separated file 100.555 was rounded to 100.56 without a word."""
    raw = minimal_raw(tmp_path / "raw")
    rows = [",".join(["invoice_no", "line_no", "invoice_date", "buyer_ean", "supplier_cvr", "supplier_name", "amount",
                      "order_ref"]),
            f"F0,1,2025-01-10,{EANS[0]},{CVR},Kontor A/S,10.00,N/A", f"F1,1,2025-01-10,{EANS[0]},{CVR},Kontor A/S,{text},EH-1"]
    (raw / "fakturalinjer.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "db.duckdb"
    ingest(raw, db)
    loaded = query(db, "SELECT amount FROM invoice_lines WHERE invoice_no = 'F1'")
    assert loaded == ([] if kroner is None else [(Decimal(kroner),)])
    if kroner is None:
        assert [q[3:] for q in quarantine(db)] == [(text, "is not a valid amount (expected e.g. 1.234,50, at most two decimals)")]


def test_the_reconciliation_counts_rows_whose_amount_it_could_not_read(tmp_path: Path) -> None:
    """An unreadable amount was left out of "kr. read" without a word, so the reconciliation
    understated the money read; now such rows are counted, per file, in the note and the table."""
    raw = _lines(minimal_raw(tmp_path / "raw"), [
        f"F1;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Kuglepenne;1.000,00;EH-1;",
        f"F2;1;15-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Blæk;12,3,4;N/A;",
        f"F3;1;15-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Blæk;50,00;N/A;",
        f"F4;1;31-02-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Blæk;25,00;N/A;"])  # a bad date, a readable amount
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert (lines.rows_quarantined, lines.rows_unpriced, lines.amount_quarantined) == (2, 1, Decimal("25.00"))
    assert "1 quarantined row(s) without a readable amount, so not in the kroner read" in lines.note
    assert query(db, "SELECT rows_unpriced FROM ingest_files WHERE kind = 'invoice_lines'") == [(1,)]


@pytest.mark.slow
def test_control_characters_in_names_are_spaces_and_messages_escape_them(tmp_path: Path, capsys) -> None:
    """Word's soft line break (\\x0b) in a unit name broke ``penalty --xlsx`` with a traceback; an
    ESC in a value reached the terminal. Names are cleaned at ingest; messages show escapes."""
    from helpers import unit_row

    from analysis.cli import main

    units = [unit_row(EANS[0], "Den Lille\x0bSkole", 200_000), unit_row(EANS[1], "Råd\x1b[31mhuset", 100_000)]
    raw = _lines(minimal_raw(tmp_path / "raw", units=units), [
        f"F1;1;10-01-2025;{EANS[0]};{CVR};Kontor\x0bA/S;44121701;Kuglepenne;1.000,00;EH-1;",
        f"F2;1;15-01-2025;{EANS[1]};{CVR};Kontor A/S;44121701;Blæk;50,00;N/A;",
        f"F3;1;15-01-2025;{EANS[1]};{CVR};Kontor A/S;44121701;Blæk;5\x1b[2J0;N/A;"])
    db = tmp_path / "db.duckdb"
    assert main(["ingest", str(raw), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "'5\\x1b[2J0'" in out
    assert query(db, "SELECT name FROM units ORDER BY name") == [("Den Lille Skole",), ("Råd [31mhuset",)]
    assert query(db, "SELECT DISTINCT supplier_name FROM invoice_lines ORDER BY 1") == [("Kontor A/S",)]
    assert main(["penalty", "--db", str(db), "--n", "1", "--key", "equal", "--replicates", "10",
                 "--xlsx", str(tmp_path / "s.xlsx")]) == 0
    assert (tmp_path / "s.xlsx").exists()


def test_unpacked_copies_are_gone_once_read(tmp_path: Path, monkeypatch) -> None:
    """A killed ingest left UTF-8 copies of zipped card files, with every cardholder's name, in its
    work folder. Each unpacked copy is now removed as soon as it has been read, before any checking."""
    import zipfile

    raw = minimal_raw(tmp_path / "raw", cards=[["T1", "05-01-2025", EANS[0], "Netto", "", "123,00", "Jens Jensen"]])
    with zipfile.ZipFile(raw / "kort.zip", "w") as archive:
        archive.write(raw / "kort.csv", "kort_2025.csv")
        archive.writestr("ordrer_gammel.csv.gz", gzip.compress(_orders_text(raw).encode("utf-8")))
    (raw / "kort.csv").unlink()
    left_in_work = []
    original = load._build_tables
    monkeypatch.setattr(load, "_build_tables", lambda con, *args: (
        left_in_work.extend(p.name for p in tmp_path.glob(".db.duckdb.*/*") if p.name != "stage.duckdb"
                            and not p.name.endswith(".wal") and p.name != "db.duckdb"),
        original(con, *args))[1])
    report = ingest(raw, tmp_path / "db.duckdb")
    assert {f.file for f in report.files} >= {"kort.zip:kort_2025.csv", "kort.zip:ordrer_gammel.csv.gz"}
    assert left_in_work == []


def test_a_second_ingest_into_the_same_database_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    """Two ingests into one database: the last writer won silently. Now the second is refused,
    naming the process; a lock left by a killed ingest is taken over."""
    import subprocess
    import sys

    raw, db = minimal_raw(tmp_path / "raw"), tmp_path / "db.duckdb"
    lock = tmp_path / "db.duckdb.lock"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(str(other.pid), encoding="ascii")
        with pytest.raises(InputError, match=f"another ingest \\(process {other.pid}\\) is writing this database"):
            ingest(raw, db)
        assert not db.exists()
    finally:
        other.kill()
        other.wait()
    ingest(raw, db)  # the lock's process is gone: taken over
    assert db.exists() and not lock.exists()


@pytest.mark.slow
def test_a_stale_wal_of_the_old_database_does_not_break_the_new_one(tmp_path: Path) -> None:
    """A read-write session killed before its checkpoint leaves db.duckdb.wal; the ingest reported
    success, and then the new database could not be opened ("WAL does not match database file")."""
    import subprocess
    import sys

    import duckdb

    raw, db = minimal_raw(tmp_path / "raw"), tmp_path / "db.duckdb"
    ingest(raw, db)
    subprocess.run([sys.executable, "-c", "import duckdb, os, sys; c = duckdb.connect(sys.argv[1]);"
                    " c.execute(\"SET wal_autocheckpoint = '1TB'\"); c.execute('CREATE TABLE x AS SELECT 1');"
                    " os._exit(9)", str(db)], check=False)
    assert (tmp_path / "db.duckdb.wal").exists()
    ingest(raw, db)
    con = duckdb.connect(str(db))
    try:
        assert con.execute("SELECT count(*) FROM units").fetchone() == (2,)
    finally:
        con.close()


def test_a_file_that_lost_most_of_its_rows_for_several_reasons_stops_the_ingest(tmp_path: Path) -> None:
    """No report may build on a kind that lost most of its rows, whatever the mix of reasons."""
    rows = [f"F{i};1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Blæk;100,00;N/A;" for i in range(8)]
    rows += [f"D{i};1;31-02-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Blæk;100,00;N/A;" for i in range(6)]
    rows += [f"A{i};1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Blæk;1.50;N/A;" for i in range(6)]
    raw = _lines(minimal_raw(tmp_path / "raw"), rows)
    with pytest.raises(InputError, match=r"fakturalinjer.csv: 12 of its 20 rows could not be used.*most common"
                                         r" reasons: 6 row\(s\) is not a valid amount"):
        ingest(raw, tmp_path / "db.duckdb")


@pytest.mark.slow
def test_the_database_is_rebuilt_whenever_its_raw_folder_or_files_differ(tmp_path: Path, capsys) -> None:
    """`make report RAW=<folder>` skipped the ingest when the exports' dates were older than the
    database (unzipped files keep theirs) and built the reports from the synthetic database."""
    import os

    from analysis.cli import main

    first, second, db = minimal_raw(tmp_path / "first"), minimal_raw(tmp_path / "second"), tmp_path / "db.duckdb"
    (second / "kommune.txt").write_text("Anden Kommune", encoding="utf-8")
    assert main(["ingest", str(first), "--db", str(db), "--if-changed"]) == 0
    assert "Ingested into" in capsys.readouterr().out
    assert main(["ingest", str(first), "--db", str(db), "--if-changed"]) == 0
    assert "is up to date" in capsys.readouterr().out
    for path in second.iterdir():  # exports older than the database, as unzipped files are
        os.utime(path, (0, 0))
    assert main(["ingest", str(second), "--db", str(db), "--if-changed"]) == 0
    assert "Ingested into" in capsys.readouterr().out
    assert query(db, "SELECT value FROM meta WHERE key = 'municipality'") == [("Anden Kommune",)]
    lines = second / "fakturalinjer.csv"
    lines.write_text(lines.read_text(encoding="utf-8-sig").replace("3.000,00", "3.100,00"), encoding="utf-8")
    os.utime(lines, (0, 0))
    assert main(["ingest", str(second), "--db", str(db), "--if-changed"]) == 0
    assert "Ingested into" in capsys.readouterr().out  # same name, older date, other content
    assert main(["ingest", str(tmp_path / "missing"), "--db", str(db), "--if-changed"]) == 2
    assert "raw data folder not found" in capsys.readouterr().err


def test_typed_parquet_amounts_with_more_than_two_decimals_are_quarantined_not_rounded(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    raw = minimal_raw(tmp_path / "raw")
    (raw / "fakturalinjer.csv").unlink()
    pq.write_table(pa.table({
        "invoice_no": ["F1", "F2", "F3"], "line_no": [1, 1, 1], "invoice_date": ["2025-01-10"] * 3,
        "buyer_ean": [EANS[0]] * 3, "supplier_cvr": [CVR] * 3, "supplier_name": ["Kontor A/S"] * 3,
        "amount": pa.array([100.5, 100.555, 1000.0], pa.float64()), "order_ref": ["EH-1", "N/A", "N/A"]}),
        raw / "fakturalinjer.parquet")
    db = tmp_path / "db.duckdb"
    ingest(raw, db)
    assert query(db, "SELECT invoice_no, amount FROM invoice_lines ORDER BY 1") == [
        ("F1", Decimal("100.50")), ("F3", Decimal("1000.00"))]
    assert [q[2] for q in quarantine(db)] == ["amount"]


def test_the_exports_own_totals_row_is_not_a_purchase_and_checks_the_file(tmp_path: Path) -> None:
    """Reports end with "I alt" and the sum of the amount column. The row is quarantined as the
    export's totals row (not "Linjenummer is missing"), and its amount is held against the other
    rows: equal says the file is whole, different is a warning. A supplier named "Total" on a full
    row is a purchase."""
    rows = [f"F1;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Kuglepenne;1.000,00;EH-1;",
            f"F2;1;15-01-2025;{EANS[0]};{CVR};Total;44121701;Blæk;3.000,00;N/A;",
            f"F3;1;20-01-2025;{EANS[1]};{CVR};Kontor A/S;80111600;Vikar;5.000,00;N/A;"]
    raw = _lines(minimal_raw(tmp_path / "raw"), [*rows, "I alt:;;;;;;;;9.000,00;;"])
    report = ingest(raw, tmp_path / "whole.duckdb")
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert (lines.rows_read, lines.rows_loaded, lines.rows_quarantined) == (4, 3, 1)
    assert (lines.amount_read, lines.amount_quarantined) == (Decimal("18000.00"), Decimal("9000.00"))  # read = loaded + quarantined
    assert "the export's own totals row (line 5, “I alt”) says 9,000.00 kr., which the other rows add up to" in lines.note
    assert not any("totals row" in warning for warning in report.warnings)
    assert quarantine(tmp_path / "whole.duckdb") == [
        ("fakturalinjer.csv", 5, None, None, "is the export's own totals row (I alt), not a purchase")]
    assert query(tmp_path / "whole.duckdb", "SELECT supplier_name FROM invoice_lines WHERE invoice_no = 'F2'") == [("Total",)]
    assert query(tmp_path / "whole.duckdb", "SELECT file, line, label, amount, rows, others FROM ingest_totals") == [
        ("fakturalinjer.csv", 5, "I alt:", Decimal("9000.00"), 1, Decimal("9000.00"))]

    raw = _lines(minimal_raw(tmp_path / "cut"), [*rows[:2], "Subtotal Skoler;;;;;;;;4.000,00;;", rows[2],
                                                 ";;Total;;;;;;9.500,00;;"])  # the label in the date column
    report = ingest(raw, tmp_path / "cut.duckdb")
    said = ("fakturalinjer.csv: the last of the export's 2 totals rows (line 6, “Total”) says 9,500.00 kr., but the"
            " other rows add up to 9,000.00 kr. (a difference of 500.00 kr.): the export may be cut off or filtered")
    assert any(warning.startswith(said) for warning in report.warnings), report.warnings
    assert [row[1] for row in quarantine(tmp_path / "cut.duckdb")] == [4, 6]


def test_dates_written_with_their_time_or_compact_are_read_and_ambiguous_ones_are_not(tmp_path: Path) -> None:
    """Systems that store timestamps export "2025-01-10 00:00:00" or ISO 8601 with a zone; SAP-style
    exports write 20250120; Danish Excel writes "10-02-2025 13.45". The date is taken. A slash date
    is day/month in Denmark but month/day in an English export, so 01/02/2025 stays quarantined."""
    dates = ["2025-01-10 00:00:00", "2025-01-15T08:30:00Z", "20250120", "10-02-2025 13.45", "10.03.2025 13:45:10",
             "2025-04-01T00:00:00.000+01:00", "01/02/2025", "2025-13-01 00:00", "20251301"]
    raw = _lines(minimal_raw(tmp_path / "raw"), [f"F{i};1;{day};{EANS[0]};{CVR};Kontor A/S;44121701;Papir;100,00;;"
                                                 for i, day in enumerate(dates)])
    db = tmp_path / "db.duckdb"
    ingest(raw, db)
    assert [str(day) for _, day in query(db, "SELECT invoice_no, invoice_date FROM invoice_lines ORDER BY invoice_no")] == [
        "2025-01-10", "2025-01-15", "2025-01-20", "2025-02-10", "2025-03-10", "2025-04-01"]
    assert [(value, reason) for _, _, _, value, reason in quarantine(db)] == [
        (day, "is not a valid date (expected dd-mm-yyyy)") for day in ("01/02/2025", "2025-13-01 00:00", "20251301")]


def test_an_order_reference_written_differently_still_names_its_order(tmp_path: Path) -> None:
    """Suppliers copy the order number as they like: other case, spaces for dashes, an "Ordre nr."
    label, leading zeros, several numbers on a collective invoice. Such a line is e-handel under the same buyer and supplier rule, and the
    reconciliation says how many and shows one. A different number, or the same number for another
    buyer, is not."""
    orders = [["EH-2025-0027073", "02-01-2025", EANS[0], CVR, "1.000,00"],
              ["123", "02-01-2025", EANS[0], CVR, "500,00"], ["007", "02-01-2025", EANS[0], CVR, "70,00"]]
    line = "F{};1;10-01-2025;{};" + CVR + ";Kontor A/S;44121701;Papir;100,00;{};"
    refs = [(EANS[0], "EH-2025-0027073"), (EANS[0], "eh 2025 0027073"), (EANS[0], "Ordre nr. EH-2025-0027073"),
            (EANS[0], "PO: 0000123"), (EANS[0], "EH-2025-0027074"), (EANS[1], "eh-2025-0027073"),
            (EANS[0], "EH-2025-0027099, EH-2025-0027073"), (EANS[0], "EH-2025-0027099 og 7")]
    raw = minimal_raw(tmp_path / "raw", orders=orders)
    _lines(raw, [line.format(i, ean, ref) for i, (ean, ref) in enumerate(refs)])
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    assert query(db, "SELECT invoice_no, is_ehandel FROM invoice_lines ORDER BY invoice_no") == [
        ("F0", True), ("F1", True), ("F2", True), ("F3", True), ("F4", False), ("F5", False), ("F6", True),
        ("F7", False)]  # "7" would name order "007", but one character is too little to stand for an order
    lines = next(f for f in report.files if f.kind == "invoice_lines")
    assert ("4 line(s) name an e-handel order as written differently (case, spacing, a label such as 'Ordre nr.',"
            " leading zeros) or among several order numbers, e.g. 'eh 2025 0027073' for order 'EH-2025-0027073':"
            " matched as e-handel") in lines.note
    assert query(db, "SELECT invoice_no, mismatch FROM order_cross_matches") == [("F5", "anden køber")]


def test_an_export_of_order_lines_is_not_a_file_of_duplicates(tmp_path: Path) -> None:
    """E-handel systems often export one row per order line: the order's number, buyer and supplier
    repeat with the line number. The lines load, and the invoice quoting the order is e-handel; the
    same row twice is still a duplicate."""
    raw = minimal_raw(tmp_path / "raw")
    (raw / "ordrer.csv").write_text(
        "Ordrenummer;Ordrelinje;Ordredato;EAN-nummer;Leverandør CVR;Beløb\r\n"
        f"EH-1;1;02-01-2025;{EANS[0]};{CVR};600,00\r\nEH-1;2;02-01-2025;{EANS[0]};{CVR};400,00\r\n"
        f"EH-1;2;02-01-2025;{EANS[0]};{CVR};400,00\r\n", encoding="utf-8")
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    orders = next(f for f in report.files if f.kind == "orders")
    assert (orders.rows_read, orders.rows_loaded, orders.rows_quarantined) == (3, 2, 1)
    assert [reason for *_, reason in quarantine(db)] == ["duplicate of ordrer.csv line 3"]
    assert query(db, "SELECT invoice_no FROM invoice_lines WHERE is_ehandel") == [("F1",)]


def test_a_number_excel_wrote_in_scientific_notation_is_named_as_such(tmp_path: Path) -> None:
    """A CSV opened in Excel and saved again: long numbers come back as 5,79801E+12, their last
    digits lost, so two invoices can share a number. An EAN or an invoice number so is quarantined
    with what happened; an order reference so is blanked and counted (it cannot name its order)."""
    raw = _lines(minimal_raw(tmp_path / "raw"), [
        f"F1;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Papir;100,00;EH-1;",
        f"F2;1;10-01-2025;5,79801E+12;{CVR};Kontor A/S;44121701;Papir;200,00;;",
        f"2,02501E+10;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Papir;300,00;;",
        f"F4;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Papir;400,00;2,02501E+14;",
        f"F5;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;4,41217E+07;Papir;500,00;;",
    ])
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    said = "is in scientific notation: Excel turned the number into a number and dropped its last digits"
    assert [(line, column, value) for _, line, column, value, reason in quarantine(db) if reason.startswith(said)] == [
        (3, "buyer_ean", "5,79801E+12"), (4, "invoice_no", "2,02501E+10")]
    assert query(db, "SELECT invoice_no, order_ref, unspsc FROM invoice_lines ORDER BY invoice_no") == [
        ("F1", "EH-1", "44121701"), ("F4", None, "44121701"), ("F5", None, None)]
    note = next(f.note for f in report.files if f.kind == "invoice_lines")
    assert f"Ordrereference: 1 value(s) blanked, {said}" in note and f"UNSPSC: 1 value(s) blanked, {said}" in note
