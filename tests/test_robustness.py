"""Hostile and broken input, crashes mid-ingest, concurrent readers, injection and personal data."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from helpers import CARD_HEADER, CVR, EANS, LINE_HEADER, danish, minimal_raw, unit_row, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from analysis.report.build import build_reports
from analysis.errors import InputError
from analysis.ingest import ingest
from analysis.ingest.readers import MAX_LINE_BYTES
from analysis.synthetic.municipality import generate

FUZZ_CASES = 150

# Values a broken export could hold, per column kind.
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
amounts = st.one_of(st.sampled_from(["1.234,50", "-12,5", "0", "12,3,4", "abc", "", "1e400", "99999999999999999999",
                                     "2.000.000.000,00", " 7 ", "1.2.3"]), st.decimals(-1e7, 1e7, places=2).map(
    lambda d: danish(float(d))), texts)
dates = st.one_of(st.sampled_from(["31-02-2025", "10-01-2025", "2025-13-01", "", "01.01.2025", "1/1/2025", "32-01-2025"]),
                  texts)
eans = st.one_of(st.sampled_from(EANS[:2] + ["5798000000019", "579800", "", "57980098115780"]), texts)
cvrs = st.one_of(st.sampled_from([CVR, "DK" + CVR, "1234", "", "ABCDEFGH"]), texts)
rows = st.lists(st.tuples(texts, st.sampled_from(["1", "2", "x", ""]), dates, eans, cvrs, texts,
                          st.sampled_from(["44121701", "80111600", "", "4412", "abc"]), texts, amounts,
                          st.sampled_from(["EH-1", "N/A", "", "'; DROP TABLE units; --"]), texts),
                max_size=25)
mangles = st.sampled_from(["none", "truncate", "extra", "comma", "cp1252", "mixed", "quote", "blank", "header-only",
                           "duplicate", "nul"])


def write_mangled(path: Path, data: list[tuple], mangle: str) -> int:
    """Write invoice lines with one kind of damage; returns the number of non-blank data records."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",", lineterminator="\n") if mangle == "comma" else \
        csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(LINE_HEADER)
    records = [list(r) for r in data]
    if mangle == "duplicate":
        records += records[:3]
    if mangle == "header-only":
        records = []
    for record in records:
        writer.writerow(record)
    text = buffer.getvalue()
    lines = text.split("\n")
    if mangle == "truncate" and len(lines) > 2:
        lines[1] = lines[1][: len(lines[1]) // 2]
    if mangle == "extra" and len(lines) > 2:
        lines[1] += ";extra;fields"
    if mangle == "quote" and len(lines) > 2:
        lines[1] = '"' + lines[1]
    if mangle == "blank":
        lines.insert(1, "")
    if mangle == "nul" and len(lines) > 2:
        lines[1] += "\x00"
    text = "\n".join(lines)
    if mangle == "cp1252":
        raw = text.encode("cp1252", errors="replace")
    elif mangle == "mixed":
        half = len(lines) // 2
        raw = "\n".join(lines[:half]).encode("utf-8") + b"\n" + "\n".join(lines[half:]).encode("cp1252", "replace")
    else:
        raw = text.encode("utf-8")
    path.write_bytes(raw)
    return len(records)


@pytest.mark.slow
@settings(max_examples=FUZZ_CASES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rows, mangle=mangles)
def test_fuzzed_invoice_files_end_loaded_quarantined_or_in_a_clear_error(tmp_path_factory, data, mangle) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    raw = minimal_raw(folder / "raw")
    written = write_mangled(raw / "fakturalinjer.csv", data, mangle)
    database = folder / "db.duckdb"
    try:
        report = ingest(raw, database)
    except InputError as error:  # a whole-file problem: one clear message naming the file
        assert "fakturalinjer.csv" in str(error) or "units" in str(error) or "invoice lines" in str(error)
        assert not database.exists()
        return
    lines = next(f for f in report.files if f.file == "fakturalinjer.csv")
    assert lines.rows_loaded + lines.rows_quarantined == lines.rows_read
    assert lines.amount_loaded + lines.amount_quarantined == lines.amount_read
    if mangle in ("none", "duplicate", "cp1252", "mixed", "blank", "header-only", "extra", "nul"):
        assert lines.rows_read == written, "every record is counted: nothing is silently dropped"
    con = duckdb.connect(str(database), read_only=True)
    assert con.execute("SELECT count(*) FROM units").fetchone()[0] == 2  # the quoted DROP TABLE did nothing
    con.close()


@pytest.mark.slow
@pytest.mark.parametrize("length", [MAX_LINE_BYTES + 1000, 3 * MAX_LINE_BYTES])  # within one read block, or across
def test_a_line_longer_than_the_limit_is_quarantined_unread(tmp_path: Path, length: int) -> None:
    raw = minimal_raw(tmp_path / "raw")
    good = "F1;1;10-01-2025;" + EANS[0] + ";" + CVR + ";A;44121701;x;100,00;N/A;"
    with (raw / "fakturalinjer.csv").open("w", encoding="utf-8") as handle:
        handle.write(";".join(LINE_HEADER) + "\n" + good + "\n")
        handle.write("F2;1;10-01-2025;" + EANS[0] + ";" + CVR + ";A;44121701;" + "x" * length + ";1,00;;\n")
        handle.write(good.replace("F1", "F3") + "\n")
    db = tmp_path / "db.duckdb"
    report = ingest(raw, db)
    assert report.problems == [f"fakturalinjer.csv line 3: line longer than {MAX_LINE_BYTES:,} bytes, not read"]
    assert next(f for f in report.files if f.file == "fakturalinjer.csv").rows_loaded == 2


@pytest.mark.slow
def test_killing_the_ingest_never_harms_the_previous_database(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(raw, seed=3, years=(2024, 2025), scale=0.3)
    db = tmp_path / "e.duckdb"
    ingest(raw, db)

    def contents() -> tuple:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return tuple(con.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {table}").fetchall()
                         for table in ("invoice_lines", "card_transactions", "units", "quarantine", "unit_month"))
        finally:
            con.close()

    complete = contents()
    code = "import sys; from analysis.ingest import ingest; ingest(sys.argv[1], sys.argv[2])"
    for delay in (0.1, 0.3, 0.6, 1.0, 1.5, 2.5):
        before = db.read_bytes()
        process = subprocess.Popen([sys.executable, "-c", code, str(raw), str(db)])
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        # Either untouched, or replaced by a complete database (a kill after the final rename).
        assert db.read_bytes() == before or contents() == complete
    ingest(raw, db)  # the next ingest removes what killed ones left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.duckdb", "raw"]


@pytest.mark.slow
def test_reports_can_read_while_an_ingest_replaces_the_database(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw")
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    reader = duckdb.connect(str(db), read_only=True)
    ingest(raw, db)  # replaces the file while the reader has it open
    assert reader.execute("SELECT count(*) FROM invoice_lines").fetchone()[0] == 3
    reader.close()


@pytest.mark.slow
def test_two_builds_at_once_do_not_corrupt_each_other(small_db: Path, tmp_path: Path) -> None:
    errors = []

    def run(name: str) -> None:
        try:
            build_reports(db_path=small_db, only=["ehandel_status"], run=name, reports_dir=tmp_path,
                          parameters={"report_date": "2026-11-23"})
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b", "a")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for name in ("a", "b"):
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == [
            ".analysis-build", "01_ehandel_status.html", "01_ehandel_status.ipynb", "01_ehandel_status.pdf"]
        assert len(PdfReader(tmp_path / name / "01_ehandel_status.pdf").pages) > 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


HOSTILE = "'; DROP TABLE units; -- <script>alert(1)</script> {{ 7*7 }} \\input{/etc/passwd} $x"
CPR_LIKE = ["010203-1234", "3112991234"]
NAMES = ["Søren Kierkegaard", "Karen Blixen"]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build over data with script-like names, formula-like names, cardholder names and CPR numbers."""
    folder = tmp_path_factory.mktemp("hostile")
    raw = folder / "raw"
    units = [unit_row(e, n, unit_type=t) for e, n, t in zip(
        EANS[:5], ["<script>alert(2)</script> Skolen", "=HYPERLINK(\"http://x\")", "Børnehuset $x$ & {{ y }}",
                   "Rådhuset", "Bostedet"], ["skole"] * 4 + ["botilbud"])]
    lines, orders = [], []
    for i in range(60):
        ean = EANS[i % 4]
        ehandel = i % 3 == 0
        if ehandel:
            orders.append([f"EH-{i}", "01-01-2025", ean, CVR, "1,00"])
        lines.append([f"F{i}", 1, f"{(i % 28) + 1:02d}-{(i % 12) + 1:02d}-2025", ean, CVR, "Leverandør A/S",
                      "44121701", f"Udlæg for {CPR_LIKE[i % 2]} {NAMES[i % 2]}", danish(100 + i),
                      f"EH-{i}" if ehandel else "N/A", ""])
    minimal_raw(raw, lines=lines, orders=orders, units=units)
    write_csv(raw / "kort.csv", CARD_HEADER + ["Tekst"], [
        [f"K{i}", "05-03-2025", EANS[i % 4], "Butik", "50131701", "99,95", NAMES[i % 2], f"CPR {CPR_LIKE[i % 2]}"]
        for i in range(20)], encoding="cp1252")
    db = folder / "db.duckdb"
    ingest(raw, db)
    build_reports(db_path=db, run="x", reports_dir=folder / "reports",
                  parameters={"n": "2", "case_number": HOSTILE, "report_date": "2026-11-23", "replicates": "100",
                              "exempt_types": "botilbud", "proposal": HOSTILE})
    return folder / "reports" / "x"


def all_output_text(folder: Path) -> dict[str, str]:
    texts = {}
    for path in folder.iterdir():
        if path.suffix == ".pdf":
            texts[path.name] = "\n".join(page.extract_text() for page in PdfReader(path).pages)
        elif path.suffix == ".xlsx":
            workbook = openpyxl.load_workbook(path)
            texts[path.name] = "\n".join(str(c.value) for sheet in workbook for row in sheet.iter_rows() for c in row)
        elif path.suffix == ".docx":
            import docx

            document = docx.Document(str(path))
            texts[path.name] = "\n".join([p.text for p in document.paragraphs] + [
                cell.text for grid in document.tables for row in grid.rows for cell in row.cells])
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


@pytest.mark.slow
def test_no_personal_data_reaches_any_output(hostile_build: Path) -> None:
    for name, text in all_output_text(hostile_build).items():
        for secret in CPR_LIKE + NAMES:
            assert secret not in text, f"{secret} in {name}"
        assert not re.search(r"\b\d{6}-\d{4}\b", text), name


@pytest.mark.slow
def test_hostile_text_is_shown_as_text(hostile_build: Path) -> None:
    for path in hostile_build.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html, path.name
    briefing = (hostile_build / "04_briefing.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in briefing  # template-looking text is not evaluated
    status = (hostile_build / "01_ehandel_status.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(2)&lt;/script&gt; Skolen" in status  # a unit's name, escaped in a table
    assert "Børnehuset $x$ &amp; {{ y }}" in status
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in briefing  # the case number, escaped
    pdf = "\n".join(page.extract_text() for page in PdfReader(hostile_build / "04_briefing.pdf").pages)
    assert "DROP TABLE units" in pdf and "\\input{/etc/passwd}" in pdf


@pytest.mark.slow
def test_excel_never_turns_data_into_formulas(hostile_build: Path) -> None:
    workbook = openpyxl.load_workbook(hostile_build / "sanktion.xlsx")
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value}"
    names = [c.value for c in workbook["Fordeling"]["C"]]
    assert '=HYPERLINK("http://x")' in names


def test_quarantine_and_messages_mask_cpr_numbers(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "A", "44121701", "x", "1,00", "N/A", ""],
        ["F2", 1, "0102031234", EANS[0], CVR, "A", "44121701", "x", "1,00", "N/A", ""]])
    report = ingest(raw, tmp_path / "e.duckdb")
    assert report.problems == ["fakturalinjer.csv line 3, column 'Fakturadato' '[CPR fjernet]': "
                               "is not a valid date (expected dd-mm-yyyy)"]
    assert json.dumps(report.problems).find("0102031234") == -1
    assert Decimal("1.00") == next(f for f in report.files if f.file == "fakturalinjer.csv").amount_quarantined


def test_a_database_held_for_writing_elsewhere_gives_a_message_not_a_traceback(small_db: Path, tmp_path: Path) -> None:
    import shutil

    from analysis import db
    from analysis.errors import DatabaseError

    copy = tmp_path / "held.duckdb"
    shutil.copy(small_db, copy)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
                               " print('open', flush=True); time.sleep(60)", str(copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseError, match="cannot be opened .*close it"):
            db.connect(copy)
    finally:
        holder.kill()
        holder.wait()
    (tmp_path / "junk.duckdb").write_bytes(b"not a database at all" * 100)
    with pytest.raises(DatabaseError, match="cannot be opened"):
        db.connect(tmp_path / "junk.duckdb")
