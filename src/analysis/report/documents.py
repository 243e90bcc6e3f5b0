"""Office files (the workbook, the Word proposal) written so that a rebuild gives the same bytes.

Both formats are zip archives whose entries the writing libraries stamp with the moment of
saving; here every entry carries the report date instead, and the file is written whole and then
moved into place, so a reader never sees half a file.
"""

from __future__ import annotations

import io
import os
from datetime import date, datetime, time
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo


def stamped_zip(data: bytes, day: date, replace: dict[str, bytes] | None = None) -> bytes:
    """The zip archive ``data`` with every entry dated ``day`` (and the entries named in
    ``replace`` given new contents, such as document properties with fixed dates)."""
    moment = datetime.combine(day, time()).timetuple()[:6]
    replace = replace or {}
    fixed = io.BytesIO()
    with ZipFile(io.BytesIO(data)) as source, ZipFile(fixed, "w", ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = replace.get(entry.filename, None)
            target.writestr(ZipInfo(entry.filename, date_time=moment),
                            source.read(entry) if content is None else content, compress_type=ZIP_DEFLATED)
    return fixed.getvalue()


def write_whole(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temporary name beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path
