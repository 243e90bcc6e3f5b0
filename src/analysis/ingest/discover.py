"""Which raw sources a folder holds: each file's kind from its name, else from what it holds.

A municipality's exports come as CSV, Excel workbooks, Parquet, OIOUBL/Peppol XML documents (any
file name, also none) and zip archives of any of these. A file whose name starts with a kind's
prefix is that kind; any other table is recognised by its header row (the kind whose required
columns it has), an XML file by its root element. Everything else is listed with the reason it was
skipped, so that no file is passed over without a word.
"""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyarrow.parquet as pq

from ..errors import InputError
from .einvoices import DOCUMENT_KINDS, Document, root_name
from .readers import EXCEL_SUFFIXES, csv_header
from .schema import FILE_KINDS, FileKind, kind_for_file, kinds_for_headers

METADATA_FILES = ("kommune.txt", "SYNTETISK.txt")  # municipality name; marker of synthetic data
TABLE_SUFFIXES = (".csv", ".txt", ".tsv")
LOOSE_XML = "XML-filer"  # how the raw folder's own XML documents are named as one source


def _gunzip(path: Path, target: Path) -> None:
    with gzip.open(path, "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)


def _utf16_to_utf8(path: Path, target: Path) -> None:
    """Excel's "Unicode text" (UTF-16 with a byte order mark) as UTF-8, in a stream."""
    with path.open("r", encoding="utf-16", newline="") as source, target.open("w", encoding="utf-8", newline="") as out:
        shutil.copyfileobj(source, out, 1 << 20)


# How a file is wrapped, by its first bytes: what it is, and how to get the bytes inside as a file.
# Read like a zip member: unwrapped into the work folder, named as the file in every message.
_WRAPPINGS = {b"\x1f\x8b": ("gzip-compressed", _gunzip),
              b"\xff\xfe": ("UTF-16 text (Excel's Unicode text)", _utf16_to_utf8),
              b"\xfe\xff": ("UTF-16 text (Excel's Unicode text)", _utf16_to_utf8)}


@dataclass(frozen=True)
class Found:
    """A source to read: its kind, the name messages give it, and where its bytes are.

    ``path`` is the file (a zip member's copy in the work folder), the partitioned Parquet folder,
    or for XML the folder or zip that holds ``documents``.
    """

    kind: FileKind
    name: str
    path: Path
    format: str  # csv | parquet | workbook | xml
    sheet: str | None = None
    documents: tuple[Document, ...] = ()


@dataclass
class Discovery:
    sources: list[Found] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def skipped_summary(self) -> list[str]:
        """One line per reason and file type, with a count and up to three names."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for name, reason in self.skipped:
            parts = name.split(":")
            if len(parts) > 1 and PurePosixPath(parts[-2]).suffix.lower() in EXCEL_SUFFIXES:
                what = "workbook sheet(s)"  # book.xlsx:Noter
            else:
                what = f"{PurePosixPath(parts[-1]).suffix.lower() or '(no extension)'} file(s)"
            groups[(what, reason)].append(name)
        lines = []
        for (what, reason), names in sorted(groups.items(), key=lambda item: -len(item[1])):
            shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
            lines.append(f"{len(names)} {what}: {reason} ({shown})")
        return lines


def _hint() -> str:
    return "name it after its kind (" + ", ".join(f"{k.prefixes[0]}…" for k in FILE_KINDS) + ")"


def _table_kind(headers: list[str]) -> FileKind | str:
    """The kind a header row says, or the reason none fits."""
    kinds = kinds_for_headers(headers)
    if not kinds:
        return f"its header row fits no known kind; {_hint()} to be told which column is missing"
    return kinds[0]


class _Walker:
    def __init__(self, raw_dir: Path, scratch: Path | None) -> None:
        self.raw_dir, self.scratch = raw_dir, scratch
        self.result = Discovery()
        self.xml: dict[tuple[str, str], list[Document]] = defaultdict(list)
        self.xml_path: dict[str, Path] = {}
        self.copies = 0

    def skip(self, name: str, reason: str) -> None:
        self.result.skipped.append((name, reason))

    def add_xml(self, container: str, path: Path, document: Document, head: bytes) -> None:
        root = root_name(head)
        kind = DOCUMENT_KINDS.get(root or "")
        if root is not None and kind is None:
            self.skip(document.label, f"an XML {root} document, not an invoice, credit note or order")
            return
        if kind is None:  # an .xml file that does not parse: quarantined with the parser's reason
            kind = DOCUMENT_KINDS["Invoice"]
        self.xml[(container, kind.name)].append(document)
        self.xml_path[container] = path

    def file(self, path: str, label: str, container: str, container_path: Path) -> None:
        """Classify one file on disk (``path`` as text: most are XML documents, kept as text)."""
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".zip":
            self.archive(Path(path), label)
        elif suffix == ".parquet":
            self.parquet(Path(path), label)
        elif suffix in EXCEL_SUFFIXES:
            self.workbook(Path(path), label)
        else:
            with open(path, "rb") as handle:
                head = handle.read(65536)
            self.bytes_file(label, path, head, container, container_path, Document(label, path))

    def bytes_file(self, label: str, path: Path | str, head: bytes, container: str, container_path: Path,
                   document: Document) -> None:
        name = label.split(":")[-1].rsplit("/", 1)[-1]
        suffix = os.path.splitext(name[:-3] if name.lower().endswith(".gz") else name)[1].lower()
        wrapped = _WRAPPINGS.get(head[:2])
        if wrapped is not None:
            what, unwrap = wrapped
            if self.scratch is None:
                self.skip(label, f"{what}, which only the ingest reads")
                return
            self.copies += 1
            copy = self.scratch / f"unwrapped-{self.copies}{suffix}"
            try:
                unwrap(Path(path), copy)
            except (OSError, EOFError, UnicodeError) as error:
                copy.unlink(missing_ok=True)
                self.skip(label, f"{what}, but not readable as such ({error})")
                return
            finally:
                if Path(path).parent == self.scratch:
                    Path(path).unlink()  # a zip member's copy, now unwrapped: only the inner file is read
            with copy.open("rb") as handle:
                head = handle.read(65536)
            self.bytes_file(label, copy, head, container, container_path, document)
        elif head.startswith(b"PK\x03\x04"):
            self.skip(label, "a zip archive or Office file without its extension: name it .zip or .xlsx")
        elif suffix == ".xml" or root_name(head) is not None:
            self.add_xml(container, container_path, document, head)
        elif suffix in TABLE_SUFFIXES:
            self.table(Path(path), label)
        else:
            self.skip(label, f"not a known kind of file (tables: {', '.join(TABLE_SUFFIXES + EXCEL_SUFFIXES)}, .parquet;"
                             " XML e-invoices; .zip)")

    def table(self, path: Path, label: str) -> None:
        kind = kind_for_file(PurePosixPath(label.split(":")[-1]).name)
        if kind is None:
            try:
                _, _, headers, _ = csv_header(path)
            except InputError as error:
                self.skip(label, str(error).split(": ", 1)[-1])
                return
            kind = _table_kind(headers)
            if isinstance(kind, str):
                self.skip(label, kind)
                return
        self.result.sources.append(Found(kind, label, path, "csv"))

    def parquet(self, path: Path, label: str) -> None:
        kind = kind_for_file(path.name)
        if kind is None:
            try:
                kind = _table_kind(pq.read_schema(path).names)
            except Exception as error:  # pyarrow raises several types for a broken file
                self.skip(label, f"not a readable Parquet file ({error})")
                return
            if isinstance(kind, str):
                self.skip(label, kind)
                return
        self.result.sources.append(Found(kind, label, path, "parquet"))

    def workbook(self, path: Path, label: str) -> None:
        """An Excel file: a workbook's sheets, or, for a file that only carries an Excel name, the text
        table it holds (a system's "Excel export" is often CSV or an HTML page)."""
        from .spreadsheets import OLE2_MAGIC, ZIP_MAGIC, sheets, sniff_kind

        with path.open("rb") as handle:
            head = handle.read(4096)
        if not head.startswith((ZIP_MAGIC, OLE2_MAGIC)):
            start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
            if start.startswith((b"<html", b"<!doctype", b"<table", b"<meta", b"<?xml")):
                self.skip(label, "a web page or XML saved with an Excel name, not a workbook: open it in Excel"
                                 " and save it as .xlsx (or as CSV)")
            elif b"\x00" in head or head[:2] in _WRAPPINGS:
                self.skip(label, "not an Excel workbook, nor text: open it in Excel and save it as .xlsx")
            else:
                self.table(path, label)  # a text table with an Excel name
            return
        try:
            found, unread = sheets(path, label)
        except InputError as error:
            self.skip(label, str(error).split(": ", 1)[-1])
            return
        for name in unread:
            self.skip(name, "only a workbook's sheets named after a kind"
                            f" ({', '.join(kind.prefixes[0] for kind in FILE_KINDS[:3])}, …) are read, else its first sheet")
        for sheet, name, kind in found:
            kind = kind or sniff_kind(path, label, sheet)
            if kind is None:
                self.skip(name, f"no row among its first rows fits a known kind; {_hint()}")
            else:
                self.result.sources.append(Found(kind, name, path, "workbook", sheet=sheet))

    def archive(self, path: Path, label: str) -> None:
        """A zip: every member classified like a file, named ``archive.zip:member``; XML members
        are read from the archive, the others copied into the work folder."""
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            self.skip(label, f"not a readable zip archive ({error})")
            return
        with archive:
            for info in archive.infolist():
                member_name = PurePosixPath(info.filename)
                if info.is_dir() or member_name.name.startswith(".") or "__MACOSX" in member_name.parts:
                    continue
                member = f"{label}:{info.filename}"
                if member_name.name in METADATA_FILES:
                    continue
                if info.flag_bits & 0x1:
                    self.skip(member, "encrypted in the archive: unpack it first")
                    continue
                with archive.open(info) as handle:
                    head = handle.read(65536)
                suffix = member_name.suffix.lower()
                if suffix == ".zip":
                    self.skip(member, "a zip inside a zip: unpack the outer one")
                elif suffix not in (*TABLE_SUFFIXES, *EXCEL_SUFFIXES, ".parquet") and (
                        suffix == ".xml" or root_name(head) is not None):
                    self.add_xml(label, path, Document(member, path, info.filename), head)
                elif self.scratch is None:
                    self.skip(member, "inside a zip archive, which only the ingest unpacks")
                else:
                    self.copies += 1
                    copy = self.scratch / f"zip-{self.copies}{suffix}"
                    with archive.open(info) as source, copy.open("wb") as target:
                        shutil.copyfileobj(source, target, 1 << 20)
                    if suffix in EXCEL_SUFFIXES:
                        self.workbook(copy, member)
                    elif suffix == ".parquet":
                        self.parquet(copy, member)
                    else:
                        self.bytes_file(member, copy, head, label, path, Document(member, path, info.filename))

    def folder(self, folder: Path, prefix: str) -> None:
        """Every file under ``folder`` in name order (os.scandir: a year of e-invoices is a hundred
        thousand files, and pathlib's per-file work took most of the time)."""
        with os.scandir(folder) as entries:
            listed = sorted((entry for entry in entries if not entry.name.startswith(".")), key=lambda e: e.name)
        for entry in listed:
            label = prefix + entry.name
            if not prefix and entry.name in METADATA_FILES:
                continue
            if entry.is_dir():
                path = Path(entry.path)
                kind = kind_for_file(entry.name)
                if kind is not None and next(path.rglob("*.parquet"), None) is not None:
                    self.result.sources.append(Found(kind, label + "/", path, "parquet"))  # partitioned
                else:
                    self.folder(path, label + "/")
            elif entry.is_file():
                self.file(entry.path, label, prefix or LOOSE_XML, folder)

    def finish(self) -> Discovery:
        for (container, kind_name), documents in self.xml.items():
            kind = next(k for k in FILE_KINDS if k.name == kind_name)
            self.result.sources.append(Found(kind, container, self.xml_path[container], "xml",
                                             documents=tuple(documents)))
        return self.result


def discover(raw_dir: Path, scratch: Path | None = None) -> Discovery:
    """Every source in ``raw_dir`` (subfolders and zip archives too) and every file skipped, with why.

    ``scratch`` is where zip members other than XML are unpacked (the ingest's work folder);
    without it they are listed as skipped.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(f"{raw_dir}: raw data folder not found")
    walker = _Walker(raw_dir, scratch)
    walker.folder(raw_dir, "")
    return walker.finish()

