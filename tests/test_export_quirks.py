"""Export quirks of real Danish files (issue #21): each one reproduced, then read as an analyst would want."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from helpers import CVR, EANS, LINE_HEADER, minimal_raw, quarantine, query

import analysis.ingest.load as load
from analysis.ingest import ingest

HEADER = ";".join(LINE_HEADER)


def _lines(raw: Path, rows: list[str], trailing_blank_line: bool = False) -> Path:
    """Invoice lines written as raw text, exactly as given (no CSV quoting)."""
    text = "\r\n".join([HEADER, *rows]) + "\r\n" + ("\r\n" if trailing_blank_line else "")
    (raw / "fakturalinjer.csv").write_text(text, encoding="utf-8")
    return raw


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
    original = load._csv_relation
    monkeypatch.setattr(load, "_csv_relation", lambda *a: read_by_duckdb.append(original(*a)) or read_by_duckdb[-1])
    raw = _lines(minimal_raw(tmp_path / "raw"), [
        f"F1;1;10-01-2025;{EANS[0]};{CVR};Kontor A/S;44121701;Kuglepenne;1.000,00;EH-1;",
        f"F3;1;20-01-2025;{EANS[1]};{CVR};Kontor A/S;80111600;Vikar;5.000,00;N/A"])
    db = tmp_path / "db.duckdb"
    ingest(raw, db)
    assert [(line, reason) for _, line, _, _, reason in quarantine(db)] == [
        (3, "expected 11 fields separated by ';', found 10")]
    assert None not in read_by_duckdb  # no file fell back to the Python reader
