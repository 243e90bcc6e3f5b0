"""Open raw export files: check their headers, detect Danish conventions, and (for CSV files that
DuckDB's reader cannot read exactly) stream their rows as Arrow chunks of text with line numbers.

The ingest reads well-formed files with DuckDB's own readers; this module's line-by-line reader is
for the rest (blank lines, quoted newlines, ragged or over-long lines), so that the ingest can
still name the exact file, line and column of every problem. Danish conventions are detected per file: `;` separator (then
decimal comma and thousands dot), UTF-8 with or without BOM, and cp1252 decided line by line, so a
file whose lines come from two systems still reads.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from .schema import FileKind, ambiguous_headers, custom_data_headers, header_map, is_custom_data_header

CHUNK_ROWS = 100_000
MAX_LINE_BYTES = 1_000_000  # a longer line is quarantined unread, so one broken line cannot exhaust memory
TOO_LONG = "\ufdd0line-too-long\ufdd0"  # stands in for such a line (a Unicode non-character)
DELIMITERS = (";", ",", "\t", "|")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")  # spreadsheets (spreadsheets.py)
FIELD_SHIFT_HINT = ("a separator inside a value that is not quoted? The row is left out rather than read"
                    " with its values in the wrong columns")
csv.field_size_limit(sys.maxsize // 2**32)  # real exports have long free-text fields


@dataclass
class SourceFile:
    """A raw source as read: its kind, how its headers map, and the conventions used.

    ``name`` is how every message names it (``archiv.zip:linjer.csv`` for a zip member, which is
    read from its copy at ``path`` in the work folder); ``format`` says which reader takes it:
    ``csv``, ``parquet`` (DuckDB's readers), or ``rows`` (a Python reader: Excel, XML).
    """

    path: Path
    kind: FileKind
    headers: dict[str, str]  # canonical column -> header as written in the file
    decimal: str  # "," for Danish exports, "." otherwise
    name: str = ""
    format: str = "csv"
    encoding_note: str = ""
    delimiter: str = ";"  # CSV only
    positions: dict[str, int] = field(default_factory=dict)  # canonical column -> field number (CSV)
    fields: int = 0  # number of fields in the header (CSV)
    header_lines: int = 1  # CSV: 2 for a KMD Custom Data file (technical names, then own names)
    guarded: bool = False  # CSV: fields written as ="…" (Excel's guard against number conversion)
    notes: list[str] = field(default_factory=list)  # said in the reconciliation (documents read, …)
    warnings: list[str] = field(default_factory=list)  # said in the reconciliation and on the console

    def __post_init__(self) -> None:
        self.name = self.name or self.path.name


_GUARD = {d: re.compile(f"(^|{re.escape(d)})=\"") for d in DELIMITERS}


def unguard(text: str, delimiter: str) -> str:
    """A line with Excel's ``="…"`` guards as plain CSV: ``="0042";="x"`` → ``"0042";"x"``."""
    return _GUARD[delimiter].sub(r'\1"', text)


def is_guarded(header_line: str, delimiter: str) -> bool:
    """Whether a file's fields are Excel-guarded, as its header line shows."""
    fields = next(csv.reader([header_line.strip("\r\n")], delimiter=delimiter), [])
    return bool(fields) and all(f.startswith('="') or f.startswith("=") and not f[1:] for f in fields if f)


def csv_header(path: Path) -> tuple[str, bool, list[str], int]:
    """A CSV file's delimiter, guard, headers and number of header lines (2 for KMD Custom Data),
    read from its first two lines."""
    counts = {"cp1252": 0}
    lines = _decoded_lines(path, counts)
    first = next(lines, None)
    if first is None or not first.strip():
        raise InputError(f"{path.name}: line 1: the file is empty (no header line)")
    if first.startswith(TOO_LONG):
        raise InputError(f"{path.name}: line 1: the header line is longer than {MAX_LINE_BYTES:,} bytes")
    delimiter = _sniff_delimiter(first)
    guarded = is_guarded(first, delimiter)
    fix = (lambda text: unguard(text, delimiter)) if guarded else (lambda text: text)
    headers = next(csv.reader([fix(first)], delimiter=delimiter))
    if not is_custom_data_header(headers):
        return delimiter, guarded, headers, 1
    second = next(lines, "")
    own = next(csv.reader([fix(second)], delimiter=delimiter), [])
    return delimiter, guarded, custom_data_headers(headers, own), 2


def _decoded_lines(path: Path, counts: dict[str, int]) -> Iterator[str]:
    """Lines of a file as text: UTF-8 where it decodes, cp1252 otherwise (counted); a line over
    MAX_LINE_BYTES is skipped in chunks and replaced by the TOO_LONG marker."""
    with path.open("rb") as handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                yield TOO_LONG + "\n"
                number += 1
                continue
            if number == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            number += 1
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                counts["cp1252"] += 1
                yield raw.decode("cp1252", errors="replace")


_COMMA_DECIMAL = re.compile(r"\d,\d{1,2}\b")  # 1.234,50  12,5
_POINT_DECIMAL = re.compile(r"^[^,]*\d\.\d{1,2}\D*$")  # 1234.50  -12.5 (no comma anywhere)
DECIMAL_SAMPLE_ROWS = 2000


def _decimal_mark(path: Path, kind: FileKind, delimiter: str, positions: dict[str, int], header_lines: int,
                  guarded: bool) -> str:
    """The decimal mark of a CSV file's amounts: "," in a ``;`` file (Danish), "." in a ``,`` file;
    in a tab- or ``|``-separated file (Excel's "Unicode text", say) whichever the amounts of its first
    rows show, and Danish when they show neither (whole kroner read the same either way)."""
    if delimiter in (";", ","):
        return "," if delimiter == ";" else "."
    amounts = [positions[c.name] for c in kind.columns if c.kind == "amount" and c.name in positions]
    lines = _decoded_lines(path, {"cp1252": 0})
    for _ in range(header_lines):
        next(lines, None)
    if guarded:
        lines = (unguard(line, delimiter) for line in lines)
    comma = point = 0
    try:
        for number, record in enumerate(csv.reader(lines, delimiter=delimiter)):
            if number >= DECIMAL_SAMPLE_ROWS:
                break
            for position in amounts:
                value = record[position] if position < len(record) else ""
                comma += bool(_COMMA_DECIMAL.search(value))
                point += bool(_POINT_DECIMAL.search(value))
    except csv.Error:
        pass  # the reader reports the broken line; the rows before it decide
    return "." if point and not comma else ","


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ";"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def check_headers(name: str, kind: FileKind, headers: list[str], line: int = 1) -> dict[str, str]:
    """Canonical column -> header for a file's header row; an InputError when a required column is
    missing, or when two headers mean the same column (a file with both ``Beløb`` and ``Beløb ekskl.
    moms`` takes the latter; any other pair is refused rather than one picked silently)."""
    for canonical, found in ambiguous_headers(kind, headers):
        raise InputError(f"{name}: line {line}: the headers {' and '.join(repr(h) for h in found)} all mean the column"
                         f" {canonical} of a {kind.name} file; keep one of them (or rename the others)")
    mapping = header_map(kind, headers)
    found = set(mapping.values())
    missing = [c for c in kind.columns if c.header_required and c.name not in found]
    if missing:
        wanted = ", ".join(f"'{c.aliases[0] if c.aliases else c.name}' (or '{c.name}')" for c in missing)
        if looks_like_data(headers):  # its values are not echoed: a data row may hold a cardholder's name
            expected = ", ".join(f"'{c.aliases[0] if c.aliases else c.name}'" for c in kind.columns if c.header_required)
            raise InputError(
                f"{name}: line {line}: this line holds data (dates, amounts or EANs), not column names: the file"
                f" seems to have been exported without its header line. Export it again with headers, or add a"
                f" first line naming its columns ({expected} are required for {_article(kind.name)} {kind.name} file)")
        raise InputError(
            f"{name}: line {line}: missing required column(s) {wanted} for {_article(kind.name)} {kind.name} file; "
            f"the header has: {', '.join(repr(h) for h in headers)}"
        )
    return {canonical: header for header, canonical in mapping.items()}


_DATA_VALUE = re.compile(r"\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{13}|-?\d[\d.]*,\d{2}")


def looks_like_data(fields: list[str]) -> bool:
    """Whether a would-be header row holds values (a date, an EAN, a Danish amount) rather than names."""
    return sum(bool(_DATA_VALUE.fullmatch(f.strip())) for f in fields) >= 2


def empty_chunk(kind: FileKind, with_file: bool = False) -> dict[str, list]:
    """Columns of rows read by a Python reader: each column's text, the line and the reason it
    could not be read; with ``with_file``, the file each row comes from (an XML document, say)."""
    chunk: dict[str, list] = {c.name: [] for c in kind.columns}
    chunk.update({"_line": [], "_error": []})
    if with_file:
        chunk["_file"] = []
    return chunk


def to_table(chunk: dict[str, list]) -> pa.Table:
    arrays = {
        name: pa.array(values, pa.int64() if name == "_line" else pa.string())
        for name, values in chunk.items()
    }
    return pa.table(arrays)


def parquet_glob(path: Path) -> str | None:
    """What DuckDB's Parquet reader reads for a source: the file, or every Parquet file of a
    partitioned folder; None for a CSV file."""
    if path.is_dir():
        return str(path / "**" / "*.parquet")
    return str(path) if path.suffix.lower() == ".parquet" else None


def open_source(path: Path, kind: FileKind, name: str = "", file_format: str = "") -> tuple[SourceFile, Iterator[pa.Table]]:
    """Open a raw file: check its header now, and return an iterator over its rows in chunks.

    ``name`` names it in messages (default: the file name); ``file_format`` is ``csv``, ``parquet``
    or ``workbook`` (default: from the file name).
    """
    name = name or path.name
    file_format = file_format or ("parquet" if parquet_glob(path) is not None
                                  else "workbook" if path.suffix.lower() in EXCEL_SUFFIXES else "csv")
    if file_format == "parquet":
        return _open_parquet(path, kind, name)
    if file_format == "workbook":
        from .spreadsheets import open_workbook  # the Excel readers are imported only where a workbook is read
        return open_workbook(path, kind, name)
    return _open_csv(path, kind, name)


def _open_csv(path: Path, kind: FileKind, name: str) -> tuple[SourceFile, Iterator[pa.Table]]:
    delimiter, guarded, headers, header_lines = csv_header(path)
    mapping = check_headers(name, kind, headers, header_lines)
    positions = {canonical: headers.index(header) for canonical, header in mapping.items()}
    source = SourceFile(path, kind, mapping, decimal=_decimal_mark(path, kind, delimiter, positions, header_lines, guarded),
                        name=name,
                        delimiter=delimiter, positions=positions, fields=len(headers),
                        header_lines=header_lines, guarded=guarded)

    def rows() -> Iterator[pa.Table]:
        counts = {"cp1252": 0}
        lines = _decoded_lines(path, counts)
        for _ in range(header_lines):
            next(lines, None)
        if guarded:
            lines = (unguard(line, delimiter) for line in lines)
        reader = csv.reader(lines, delimiter=delimiter)
        chunk = empty_chunk(kind)
        previous_line = header_lines
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as error:  # e.g. an unterminated quote or a NUL byte
                record, problem = None, f"unreadable line ({error})"
            else:
                problem = None
            line = previous_line + 1  # the line where this record starts
            previous_line = header_lines + reader.line_num  # the reader started after the header lines
            if record == []:
                continue  # a blank line carries no data
            if record == [TOO_LONG]:
                record, problem = None, f"line longer than {MAX_LINE_BYTES:,} bytes, not read"
            if record is not None and len(record) != len(headers):
                problem = f"expected {len(headers)} fields separated by '{delimiter}', found {len(record)}" + (
                    f" ({FIELD_SHIFT_HINT})" if len(record) > len(headers) else "")
            append_row(chunk, kind, line, problem, None if problem else record, positions)
            if len(chunk["_line"]) >= CHUNK_ROWS:
                yield to_table(chunk)
                chunk = empty_chunk(kind)
        if chunk["_line"]:
            yield to_table(chunk)
        if counts["cp1252"]:
            source.encoding_note = f"{counts['cp1252']:,} line(s) read as cp1252"

    return source, rows()


def append_row(chunk: dict[str, list], kind: FileKind, line: int, problem: str | None,
               record: list[str] | None, positions: dict[str, int], file: str | None = None) -> None:
    """Add one record (its fields as text, or None for a line that could not be read) to a chunk."""
    for column in kind.columns:
        position = positions.get(column.name)
        chunk[column.name].append(None if record is None or position is None else record[position])
    chunk["_line"].append(line)
    chunk["_error"].append(problem)
    if "_file" in chunk:
        chunk["_file"].append(file)


def _open_parquet(path: Path, kind: FileKind, name: str) -> tuple[SourceFile, Iterator[pa.Table]]:
    """A Parquet file, or a folder of them (a partitioned export; its first file gives the columns).

    Only the columns are checked here: DuckDB's Parquet reader stages the rows (see the ingest).
    """
    first = next(iter(sorted(path.rglob("*.parquet"))), path) if path.is_dir() else path
    try:
        names = pq.read_schema(first).names
    except Exception as error:  # pyarrow raises several types for a broken file
        raise InputError(f"{name}: not a readable Parquet file ({error})") from error
    return SourceFile(path, kind, check_headers(name, kind, names), decimal=".", name=name, format="parquet"), iter(())
