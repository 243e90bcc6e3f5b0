"""A CSV file as DuckDB's reader takes it: where it lies when DuckDB can decode it, else a UTF-8
copy written in parts.

Danish exports are UTF-8, Windows cp1252, or both line by line (a file appended to by two
systems). DuckDB decodes one encoding per file, so each line is decoded as UTF-8 where it can be
and as cp1252 otherwise, as the Python reader does; a file that needs no decoding (ASCII, UTF-8, or
cp1252 whose bytes mean the same in latin-1) is read in place. Only Python file work lives here:
the ingest runs it in a thread while DuckDB reads.
"""

from __future__ import annotations

import queue
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from .readers import MAX_LINE_BYTES, SourceFile


class LineTooLong(Exception):
    """A line longer than MAX_LINE_BYTES: the file is left to the Python reader, which reports it."""


def line_blocks(path: Path, size: int = 1 << 24) -> Iterator[bytes]:
    """A file in blocks of whole lines of about ``size`` bytes (the last may lack its final newline)."""
    rest = b""
    with path.open("rb") as handle:
        while block := handle.read(size):
            data = rest + block
            cut = data.rfind(b"\n") + 1  # a multi-byte character never spans a newline
            rest = data[cut:]
            if len(rest) > MAX_LINE_BYTES:
                raise LineTooLong
            if cut:
                yield data[:cut]
    if rest:
        yield rest


def _line_count(count: int, last_block: bytes) -> int:
    """Lines of a file with ``count`` newlines whose last block is ``last_block``."""
    return count + (not last_block.endswith(b"\n"))


_MAYBE_UTF8 = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")  # a lead byte and a continuation byte: maybe UTF-8
_CP1252_ONLY = re.compile(rb"[\x80-\x9f]")  # where cp1252 and latin-1 differ
_ASCII_BUT_NEWLINE = bytes(b for b in range(128) if b != ord("\n"))


def _high_bytes(block: bytes) -> bytes:
    """What is left of each line of a block without its ASCII bytes (the newlines kept)."""
    return block.translate(None, _ASCII_BUT_NEWLINE)


def _lines_with(high: bytes) -> int:
    """Lines with a byte beyond ASCII, from ``_high_bytes``."""
    return sum(1 for line in high.split(b"\n") if line)


def _in_place_encoding(block: bytes) -> tuple[str | None, int]:
    """How DuckDB can read a block of whole lines where it lies: ``ascii``, ``utf-8``, ``latin-1``
    (cp1252 without its bytes 0x80-0x9F, € ’ – and the like, the only ones where the two differ),
    or None: only a UTF-8 copy reads it exactly (lines in both encodings, or those bytes). With
    the lines read as cp1252: for ``latin-1``, those with a byte beyond ASCII."""
    if block.isascii():
        return "ascii", 0
    high = _high_bytes(block)
    if not _MAYBE_UTF8.search(high):
        return (None, 0) if _CP1252_ONLY.search(high) else ("latin-1", _lines_with(high))
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return None, 0
    return "utf-8", 0


def as_utf8(block: bytes) -> tuple[bytes, int]:
    """A block of whole lines as UTF-8, each line decoded as UTF-8 where it can be and as cp1252
    otherwise; with the number of lines decoded as cp1252.

    A block in which no byte pair could start a UTF-8 character (the usual Windows export) is
    decoded in one call; otherwise line by line. The pairs are looked for among the block's
    non-ASCII bytes only (a UTF-8 character is non-ASCII bytes in a row, so none is missed, and a
    pair found that was not adjacent only sends the block the careful way): a tenth of the time.
    """
    if block.isascii():
        return block, 0
    high = _high_bytes(block)
    if not _MAYBE_UTF8.search(high):  # no line is UTF-8 beyond ASCII, so every non-ASCII line is cp1252
        return block.decode("cp1252", errors="replace").encode("utf-8"), _lines_with(high)
    try:
        block.decode("utf-8")
        return block, 0
    except UnicodeDecodeError:
        pass
    lines = block.split(b"\n")
    converted = 0
    for number, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            converted += 1
            lines[number] = line.decode("cp1252", errors="replace").encode("utf-8")
    return b"\n".join(lines), converted


def unguard_block(block: bytes, delimiter: bytes) -> bytes:
    """Excel's ``="…"`` guards of a block of whole lines as plain quotes (plain byte replacements:
    a regular expression took 2.5 s of a 46 MB export's 3 s)."""
    block = block.replace(delimiter + b'="', delimiter + b'"').replace(b'\n="', b'\n"')
    return block[1:] if block.startswith(b'="') else block


_PART_BYTES = 1 << 23  # a UTF-8 copy is written in parts of about this size, each read as soon as it is written


def transcode(path: Path, target: Path, guard_delimiter: str | None = None,
              written: Callable[[Path], None] = lambda part: None) -> tuple[int, int] | None:
    """Copy a CSV file as UTF-8, each line decoded as UTF-8 where it can be and as cp1252 otherwise
    (as the Python reader does), so that DuckDB's reader can take a Windows export; with
    ``guard_delimiter``, Excel's ``="…"`` guards become plain quotes on the way. The copy is
    ``target`` followed by ``.1``, ``.2``, … parts of whole lines, each passed to ``written`` when
    complete. Returns the number of cp1252 lines and of all lines, or None for a line longer than
    MAX_LINE_BYTES (left to the Python reader).
    """
    converted, count, block = 0, 0, b"\n"
    delimiter = None if guard_delimiter is None else guard_delimiter.encode()
    try:
        for number, block in enumerate(line_blocks(path, _PART_BYTES)):
            count += block.count(b"\n")
            text, cp1252 = as_utf8(block)
            converted += cp1252
            part = target.with_name(f"{target.name}.{number + 1}")
            part.write_bytes(text if delimiter is None else unguard_block(text, delimiter))
            written(part)
    except LineTooLong:
        return None
    return converted, _line_count(count, block)


class Utf8Text:
    """A CSV source as DuckDB's reader takes it: the file where it lies when DuckDB can decode it
    (UTF-8, or a Windows export whose bytes mean the same in latin-1), else a UTF-8 copy in parts,
    each line decoded as UTF-8 where it can be and as cp1252 otherwise (``cp1252_lines`` of them).

    ``prepare`` is only Python file work, no DuckDB: the ingest runs it in a thread ahead of the
    reading. A file read where it lies is handed on at once, on the evidence of its first block,
    and checked to the end while DuckDB reads it (``fits`` says whether the rest agreed); a copy is
    handed on part by part, read while the next is written. Either way neither core waits.
    ``keep_guards=False`` makes a copy with Excel's ``="…"`` guards as plain quotes.
    """

    def __init__(self, source: SourceFile, order: int, scratch: Path, keep_guards: bool = True,
                 in_place: bool = True) -> None:
        self.source, self.copy = source, scratch / f"{order}.{'g' if keep_guards else 'u'}.utf8.csv"
        self.keeps_guards = keep_guards or not source.guarded  # else the copy's guards are plain quotes
        self.in_place = in_place and self.keeps_guards
        self.encoding = "utf-8"
        self.fits = True  # False when a file read in place proved not to be in its first block's encoding
        self.lines: int | None = None  # None until prepared, and when the text cannot be made
        self.cp1252_lines = 0
        self._parts: queue.Queue[Path | BaseException | None] = queue.Queue()

    def prepare(self) -> None:
        """Hand on the file or its copy's parts; count the lines."""
        try:
            if not (self.in_place and self._in_place()):
                self.in_place = False
                transcoded = transcode(self.source.path, self.copy, None if self.keeps_guards else self.source.delimiter,
                                       self._parts.put)
                if transcoded is not None:
                    self.cp1252_lines, self.lines = transcoded
        except BaseException as error:  # handed to the reader, which raises it
            self._parts.put(error)
            raise
        finally:
            self._parts.put(None)

    def _in_place(self) -> bool:
        """Hand on the file itself if its first block can be read in place, then check the rest."""
        blocks = line_blocks(self.source.path, _PART_BYTES)
        try:
            block = next(blocks, b"\n")
            encoding, high = _in_place_encoding(block)
            if encoding is None:
                return False
            self.encoding = "latin-1" if encoding == "latin-1" else "utf-8"
            self._parts.put(self.source.path)
            count = block.count(b"\n")
            for block in blocks:
                found, cp1252 = _in_place_encoding(block)
                if found != "ascii" and found != encoding and not (encoding == "ascii" and found == "utf-8"):
                    self.fits = False
                    return True
                count += block.count(b"\n")
                high += cp1252
        except LineTooLong:  # left to the Python reader, which reports the line
            return True
        self.lines, self.cp1252_lines = _line_count(count, block), high
        return True

    def parts(self) -> Iterator[Path]:
        """The parts in order, each as soon as it is written; after the last, ``lines`` is known."""
        while (part := self._parts.get()) is not None:
            if isinstance(part, BaseException):
                raise part
            yield part

    def done_with(self, part: Path) -> None:
        """A part has been read: a copy is deleted (it may hold cardholders)."""
        if part != self.source.path:
            part.unlink(missing_ok=True)
