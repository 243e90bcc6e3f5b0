"""Spreadsheets as raw sources — Excel workbooks (.xlsx, .xlsm, .xlsb and the old binary .xls) and
OpenDocument (.ods) —: the header row found, cells taken as the spreadsheet typed them.

Analysts receive most exports as workbooks, and older systems (and KL's own sheets) still write the
binary Excel 97-2003 format. A workbook is opened by what its bytes are, not by its name, with
python-calamine (see ``Workbook``); an .xls sheet holds at most 65,536 rows. Which sheet:
one named after a file kind (``fakturalinjer``, ``enheder``, …) is that kind, so one workbook can
hold several kinds; otherwise the first sheet, of the kind the file name or its header row says.
The header row is the first of the first ``HEADER_SEARCH_ROWS`` rows that has every required
column (titles and blank rows above it are skipped); KMD's Custom Data layout (technical names,
then own names) is read by its second row.

Cells become the text the common parsing expects: numbers exactly as stored (``1234.5`` → ``1234,5``,
read with the decimal comma like a Danish CSV, so text cells such as ``1.234,50`` parse too;
a whole number stored as a float, as an EAN often is, loses its ``.0``), dates as ``yyyy-mm-dd``,
``TRUE``/``FALSE`` as ``ja``/``nej``; an error cell (``#DIV/0!``) is empty.

A sheet that fills every row its format holds was most likely cut off by the system that wrote it;
the rows are read, and the reconciliation and the console say so.
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


ZIP_MAGIC = b"PK\x03\x04"  # Office Open XML (.xlsx, .xlsm, .xlsb) and OpenDocument (.ods): a zip
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a binary Office file: Excel 97-2003 (.xls)
SHEET_ROWS = {"xlsx": 1_048_576, "xls": 65_536}  # the most rows a sheet of each format holds


class Workbook:
    """One workbook's sheets as rows of Python values, whichever spreadsheet format holds it.

    Read by python-calamine (Rust's calamine): one reader for .xlsx, .xlsm, .xlsb, .ods and the
    binary .xls; it reads a sheet without a stored size twenty times as fast as openpyxl did, which
    parsed such a sheet whole each time it was opened, to learn its size (5.6 times as fast for the
    whole ingest of 40,196 invoice lines: benchmarks/bench_excel.py). The format is found from the
    bytes, so an .xlsx saved with an .xls name (or the reverse) reads too. Errors name the file as
    ``name`` and are InputErrors.
    """

    def __init__(self, path: Path, name: str) -> None:
        from python_calamine import CalamineWorkbook  # imported only where a workbook is read

        self.name = name
        with Path(path).open("rb") as handle:
            head = handle.read(8)
            if not head.startswith((ZIP_MAGIC, OLE2_MAGIC)):
                raise InputError(f"{name}: not an Excel workbook (neither .xlsx nor the binary .xls format)")
            handle.seek(0)
            try:
                self._book = CalamineWorkbook.from_filelike(handle)  # the content decides the format
            except Exception as error:  # calamine raises several types for a broken or encrypted file
                raise InputError(f"{name}: not a readable Excel workbook ({error.__class__.__name__}: {error})"
                                 ) from error
        self.format = "xls" if head.startswith(OLE2_MAGIC) else "xlsx"
        self.sheetnames: list[str] = list(self._book.sheet_names)

    def rows(self, sheet: str) -> Iterator[list]:
        """The sheet's rows from its first, each a list of cell values: text, int or float, bool, a
        date or datetime for a cell formatted as one, "" for an empty cell. An error cell (#DIV/0!)
        is "" too: calamine gives no error values, so a required value there quarantines its row."""
        yield from self._book.get_sheet_by_name(sheet).iter_rows()

    def close(self) -> None:
        self._book.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _first_rows(book: Workbook, sheet: str) -> list[list[str]]:
    return [[cell_text(v) for v in row] for _, row in zip(range(HEADER_SEARCH_ROWS), book.rows(sheet))]


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


def sheets(path: Path, name: str) -> tuple[list[tuple[str, str, FileKind | None]], list[str]]:
    """The sheets to read, (sheet, label, kind) — every sheet named after a kind, else the first sheet
    (kind from the file name, or None: to be found from its header row) — and the labels of the
    sheets left unread, so that they can be listed."""
    with Workbook(path, name) as book:
        named = [(sheet, f"{name}:{sheet}", kind_for_file(sheet)) for sheet in book.sheetnames]
        named = [item for item in named if item[2] is not None]
        read = named or [(book.sheetnames[0], name, kind_for_file(Path(name).name))]
        return read, [f"{name}:{sheet}" for sheet in book.sheetnames if sheet not in {item[0] for item in read}]


def sniff_kind(path: Path, name: str, sheet: str) -> FileKind | None:
    """The kind a sheet's header row says, if any."""
    with Workbook(path, name) as book:
        return _header(_first_rows(book, sheet), None)[2]


def open_workbook(path: Path, kind: FileKind, name: str, sheet: str | None = None
                  ) -> tuple[SourceFile, Iterator[pa.Table]]:
    """Open one sheet of a workbook: check its header row now, stream its rows as chunks of text."""
    with Workbook(path, name) as book:
        sheet = sheet or book.sheetnames[0]
        rows = _first_rows(book, sheet)
    last, headers, found = _header(rows, kind)
    if found is None:  # no row has the columns: say what the first row has
        check_headers(name, kind, headers)
    mapping = check_headers(name, kind, headers, last + 1)
    positions = {canonical: headers.index(header) for canonical, header in mapping.items()}
    source = SourceFile(path, kind, mapping, decimal=",", name=name, format="rows")

    def chunks() -> Iterator[pa.Table]:
        with Workbook(path, name) as book:
            chunk = empty_chunk(kind)
            width = len(headers)
            number = 0
            for number, row in enumerate(book.rows(sheet), start=1):
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
            if number >= SHEET_ROWS[book.format]:  # said before the last chunk, which a reader may not pass
                source.warnings.append(f"the sheet fills all {number:,} rows a sheet of its format holds:"
                                       " the export was most likely cut off there; export the period in parts")
            if chunk["_line"]:
                yield to_table(chunk)

    return source, chunks()
