"""Files written so that a reader never sees half of one, and a rebuild gives the same bytes.

Office files (the workbook, the Word proposal) are zip archives whose entries the writing
libraries stamp with the moment of saving; here every entry carries the report date instead, and
the file is written whole and then moved into place. A folder (a run of reports, a run's entry in
the register) is written beside its place and then put there whole.
"""

from __future__ import annotations

import io
import os
import shutil
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


def replace_folder(staging: Path, final: Path) -> Path:
    """Put the folder ``staging`` (written beside ``final``, on the same file system) in the place of
    ``final``, whose old content goes."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    return final
