"""Excel workbooks (.xlsx) as raw sources: the header row found, cells taken as Excel typed them.

Analysts receive most exports as workbooks. A workbook is read with openpyxl in read-only mode
(row by row, so a large sheet does not sit in memory). Which sheet: one named after a file kind
(``fakturalinjer``, ``enheder``, …) is that kind, so one workbook can hold several kinds; otherwise
the first sheet, of the kind the file name or its header row says. The header row is the first of
the first ``HEADER_SEARCH_ROWS`` rows that has every required column (titles and blank rows above
it are skipped); KMD's Custom Data layout (technical names, then own names) is read by its second row.

Cells become the text the common parsing expects: numbers exactly as stored (``1234.5`` → ``1234,5``,
read with the decimal comma like a Danish CSV, so text cells such as ``1.234,50`` parse too;
a whole number stored as a float, as an EAN often is, loses its ``.0``), dates as ``yyyy-mm-dd``,
``TRUE``/``FALSE`` as ``ja``/``nej``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from ..errors import InputError
from .readers import CHUNK_ROWS, SourceFile, append_row, check_headers, empty_chunk, to_table
from .schema import FILE_KINDS, FileKind, custom_data_headers, is_custom_data_header, kind_for_file, kinds_for_headers

HEADER_SEARCH_ROWS = 20


def cell_text(value: object) -> str:
    """A cell as text in the Danish CSV convention (decimal comma, no thousands separator)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f").replace(".", ",")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _load(path: Path, name: str):
    import openpyxl  # a well-kept reader of the format; imported only where a workbook is read

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a broken or encrypted file
        raise InputError(f"{name}: not a readable Excel workbook ({error.__class__.__name__}: {error})") from error


def _header(rows: list[list[str]], kind: FileKind | None) -> tuple[int, list[str], FileKind | None]:
    """(index of the last header row, headers, kind) of the first rows of a sheet; kind None when
    no row has a known kind's required columns."""
    for index, row in enumerate(rows):
        headers = row
        last = index
        if is_custom_data_header(row) and index + 1 < len(rows):
            headers, last = custom_data_headers(row, rows[index + 1]), index + 1
        kinds = [kind] if kind is not None else FILE_KINDS
        matches = kinds_for_headers(headers, tuple(kinds))
        if matches:
            return last, headers, matches[0]
    return -1, rows[0] if rows else [], None


def sheets(path: Path, name: str) -> list[tuple[str, str, FileKind | None]]:
    """The sheets to read: (sheet, label, kind) — every sheet named after a kind, else the first sheet
    (kind from the file name, or None: to be found from its header row)."""
    book = _load(path, name)
    try:
        named = [(sheet, f"{name}:{sheet}", kind_for_file(sheet)) for sheet in book.sheetnames]
        named = [item for item in named if item[2] is not None]
        return named or [(book.sheetnames[0], name, kind_for_file(Path(name).name))]
    finally:
        book.close()


def sniff_kind(path: Path, name: str, sheet: str) -> FileKind | None:
    """The kind a sheet's header row says, if any."""
    book = _load(path, name)
    try:
        rows = [[cell_text(v) for v in row] for _, row in
                zip(range(HEADER_SEARCH_ROWS), book[sheet].iter_rows(values_only=True))]
    finally:
        book.close()
    return _header(rows, None)[2]


def open_xlsx(path: Path, kind: FileKind, name: str, sheet: str | None = None
              ) -> tuple[SourceFile, Iterator[pa.Table]]:
    """Open one sheet of a workbook: check its header row now, stream its rows as chunks of text."""
    book = _load(path, name)
    sheet = sheet or book.sheetnames[0]
    try:
        rows = [[cell_text(v) for v in row] for _, row in
                zip(range(HEADER_SEARCH_ROWS), book[sheet].iter_rows(values_only=True))]
    finally:
        book.close()
    last, headers, found = _header(rows, kind)
    if found is None:  # no row has the columns: say what the first row has
        check_headers(name, kind, headers)
    mapping = check_headers(name, kind, headers, last + 1)
    positions = {canonical: headers.index(header) for canonical, header in mapping.items()}
    source = SourceFile(path, kind, mapping, decimal=",", name=name, format="rows")

    def chunks() -> Iterator[pa.Table]:
        book = _load(path, name)
        try:
            chunk = empty_chunk(kind)
            width = len(headers)
            for number, row in enumerate(book[sheet].iter_rows(values_only=True), start=1):
                if number <= last + 1:
                    continue
                record = [cell_text(v) for v in row]
                if not any(record):
                    continue  # a blank row carries no data
                problem = None
                if len(record) > width and any(record[width:]):
                    problem = f"has values beyond the {width} columns of the header row"
                record += [""] * (width - len(record))
                append_row(chunk, kind, number, problem, None if problem else record, positions)
                if len(chunk["_line"]) >= CHUNK_ROWS:
                    yield to_table(chunk)
                    chunk = empty_chunk(kind)
            if chunk["_line"]:
                yield to_table(chunk)
        finally:
            book.close()

    return source, chunks()
