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
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from .schema import FileKind, header_map

CHUNK_ROWS = 100_000
MAX_LINE_BYTES = 1_000_000  # a longer line is quarantined unread, so one broken line cannot exhaust memory
TOO_LONG = "\ufdd0line-too-long\ufdd0"  # stands in for such a line (a Unicode non-character)
DELIMITERS = (";", ",", "\t", "|")
csv.field_size_limit(sys.maxsize // 2**32)  # real exports have long free-text fields


@dataclass
class SourceFile:
    """A raw file as read: its kind, how its headers map, and the number convention used."""

    path: Path
    kind: FileKind
    headers: dict[str, str]  # canonical column -> header as written in the file
    decimal: str  # "," for Danish exports, "." otherwise
    encoding_note: str = ""
    delimiter: str = ";"  # CSV only
    positions: dict[str, int] = field(default_factory=dict)  # canonical column -> field number (CSV)
    fields: int = 0  # number of fields in the header (CSV)


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


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ";"


def _check_headers(path: Path, kind: FileKind, headers: list[str]) -> dict[str, str]:
    mapping = header_map(kind, headers)
    found = set(mapping.values())
    missing = [c for c in kind.columns if c.required and c.name not in found]
    if missing:
        wanted = ", ".join(f"'{c.aliases[0] if c.aliases else c.name}' (or '{c.name}')" for c in missing)
        raise InputError(
            f"{path.name}: line 1: missing required column(s) {wanted} for a {kind.name} file; "
            f"the header has: {', '.join(repr(h) for h in headers)}"
        )
    return {canonical: header for header, canonical in mapping.items()}


def _empty_chunk(kind: FileKind) -> dict[str, list]:
    chunk: dict[str, list] = {c.name: [] for c in kind.columns}
    chunk.update({"_line": [], "_error": []})
    return chunk


def _to_table(chunk: dict[str, list]) -> pa.Table:
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


def open_source(path: Path, kind: FileKind) -> tuple[SourceFile, Iterator[pa.Table]]:
    """Open a raw file: check its header now, and return an iterator over its rows in chunks."""
    if parquet_glob(path) is not None:
        return _open_parquet(path, kind)
    return _open_csv(path, kind)


def _open_csv(path: Path, kind: FileKind) -> tuple[SourceFile, Iterator[pa.Table]]:
    counts = {"cp1252": 0}
    lines = _decoded_lines(path, counts)
    header_line = next(lines, None)
    if header_line is None or not header_line.strip():
        raise InputError(f"{path.name}: line 1: the file is empty (no header line)")
    if header_line.startswith(TOO_LONG):
        raise InputError(f"{path.name}: line 1: the header line is longer than {MAX_LINE_BYTES:,} bytes")
    delimiter = _sniff_delimiter(header_line)
    headers = next(csv.reader([header_line], delimiter=delimiter))
    mapping = _check_headers(path, kind, headers)
    positions = {canonical: headers.index(header) for canonical, header in mapping.items()}
    source = SourceFile(path, kind, mapping, decimal="," if delimiter == ";" else ".", delimiter=delimiter,
                        positions=positions, fields=len(headers))

    def rows() -> Iterator[pa.Table]:
        reader = csv.reader(lines, delimiter=delimiter)
        chunk = _empty_chunk(kind)
        previous_line = 1
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
            previous_line = 1 + reader.line_num  # the reader started after the header line
            if record == []:
                continue  # a blank line carries no data
            if record == [TOO_LONG]:
                record, problem = None, f"line longer than {MAX_LINE_BYTES:,} bytes, not read"
            if record is not None and len(record) != len(headers):
                problem = f"expected {len(headers)} fields separated by '{delimiter}', found {len(record)}"
            for column in kind.columns:
                value = None
                if problem is None and column.name in positions:
                    value = record[positions[column.name]]
                chunk[column.name].append(value)
            chunk["_line"].append(line)
            chunk["_error"].append(problem)
            if len(chunk["_line"]) >= CHUNK_ROWS:
                yield _to_table(chunk)
                chunk = _empty_chunk(kind)
        if chunk["_line"]:
            yield _to_table(chunk)
        if counts["cp1252"]:
            source.encoding_note = f"{counts['cp1252']} line(s) read as cp1252"

    return source, rows()


def _open_parquet(path: Path, kind: FileKind) -> tuple[SourceFile, Iterator[pa.Table]]:
    """A Parquet file, or a folder of them (a partitioned export; its first file gives the columns).

    Only the columns are checked here: DuckDB's Parquet reader stages the rows (see the ingest).
    """
    first = next(iter(sorted(path.rglob("*.parquet"))), path) if path.is_dir() else path
    try:
        names = pq.read_schema(first).names
    except Exception as error:  # pyarrow raises several types for a broken file
        raise InputError(f"{first.name}: not a readable Parquet file ({error})") from error
    return SourceFile(path, kind, _check_headers(path, kind, names), decimal="."), iter(())
