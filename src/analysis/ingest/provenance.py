"""What a database was built from, so that a report is never built from the wrong one.

``make report RAW=<folder>`` used to decide by file dates whether to ingest: unzipped exports keep
their old dates, so the reports of a real municipality were built from the synthetic database. The
ingest now records the raw folder (its absolute path) and a fingerprint: a SHA-256 over every raw
file's relative name and content, the curated reference files and the ingest's own code. ``analysis
ingest --if-changed`` rebuilds exactly when one of them differs from the database's record.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb

from .. import db
from ..paths import REFERENCE_DIR

_CODE = Path(__file__).parent  # the ingest package; with db.py and the views, the code that shapes the database


def _files(folder: Path, suffix: str = "") -> list[tuple[str, str]]:
    """(relative POSIX name, path) of every file under ``folder`` not hidden (nor under a hidden
    folder), in the order of their names' parts. os.walk and plain strings rather than pathlib: a
    year of e-invoices is a hundred thousand files, and pathlib's per-file work took 8 s of 11."""
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        relative = os.path.relpath(root, folder).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found.extend((prefix + name, os.path.join(root, name)) for name in names
                     if not name.startswith(".") and name.endswith(suffix))
    return sorted(found, key=lambda item: item[0].split("/"))


def _digest(files: list[tuple[str, str]], digest) -> None:
    """Each file's name and the SHA-256 of its content into ``digest``."""
    for name, path in files:
        digest.update(name.encode("utf-8") + b"\0")
        with open(path, "rb") as handle:
            digest.update(hashlib.sha256(handle.read()).digest() if os.fstat(handle.fileno()).st_size < 1 << 24
                          else hashlib.file_digest(handle, "sha256").digest())


def fingerprint(raw_dir: Path) -> str:
    """SHA-256 over the raw files (names and content), the reference files and the ingest code."""
    digest = hashlib.sha256()
    code = [(os.path.basename(path), path) for _, path in _files(_CODE, ".py")] + [
        (path.name, str(path)) for path in (Path(db.__file__), db.VIEWS_SQL)]
    for files in (_files(raw_dir), _files(REFERENCE_DIR), code):
        _digest(files, digest)
    return digest.hexdigest()


def code_fingerprint() -> str:
    """SHA-256 over the analysis package's code, SQL, templates and styles (names and content): the
    part of a report's source that is neither data nor parameters."""
    digest = hashlib.sha256()
    _digest([(name, path) for name, path in _files(_CODE.parent) if not name.endswith(".pyc")], digest)
    return digest.hexdigest()


def recorded(database: Path) -> dict[str, str] | None:
    """The database's record of its source (meta), or None when there is no readable database."""
    if not database.exists():
        return None
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return None
    try:
        return db.meta(con)
    except duckdb.Error:
        return None
    finally:
        con.close()


def up_to_date(raw_dir: Path, database: Path, municipality: str, order_match: str, current: str) -> bool:
    """Whether ``database`` was built from ``raw_dir`` as it is now (``current``: its fingerprint), by
    this code, with these options."""
    meta = recorded(database)
    return bool(meta) and meta.get("raw_dir") == str(raw_dir.resolve()) \
        and meta.get("schema_version") == str(db.SCHEMA_VERSION) and meta.get("order_match") == order_match \
        and meta.get("municipality") == municipality and meta.get("fingerprint") == current
