"""What a database was built from, so that a report is never built from the wrong one.

``make report RAW=<folder>`` used to decide by file dates whether to ingest: unzipped exports keep
their old dates, so the reports of a real municipality were built from the synthetic database. The
ingest now records the raw folder (its absolute path) and a fingerprint: a SHA-256 over every raw
file's relative name and content, the curated reference files and the ingest's own code. ``analysis
ingest --if-changed`` rebuilds exactly when one of them differs from the database's record.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from .. import db
from ..paths import REFERENCE_DIR

_CODE = Path(__file__).parent  # the ingest package; with db.py and the views, the code that shapes the database


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.rglob(pattern)
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def fingerprint(raw_dir: Path) -> str:
    """SHA-256 over the raw files (names and content), the reference files and the ingest code."""
    digest = hashlib.sha256()
    code = [*_files(_CODE, "*.py"), Path(db.__file__), db.VIEWS_SQL]
    for root, files in ((raw_dir, _files(raw_dir)), (REFERENCE_DIR, _files(REFERENCE_DIR)), (None, code)):
        for path in files:
            name = path.name if root is None else path.relative_to(root).as_posix()
            digest.update(name.encode("utf-8") + b"\0")
            with path.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def code_fingerprint() -> str:
    """SHA-256 over the analysis package's code, SQL, templates and styles (names and content): the
    part of a report's source that is neither data nor parameters."""
    digest = hashlib.sha256()
    package = _CODE.parent
    for path in _files(package):
        if path.suffix not in {".pyc"}:
            digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
            with path.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
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


def up_to_date(raw_dir: Path, database: Path, municipality: str, order_match: str) -> bool:
    """Whether ``database`` was built from ``raw_dir`` as it is now, by this code, with these options."""
    meta = recorded(database)
    return bool(meta) and meta.get("raw_dir") == str(raw_dir.resolve()) \
        and meta.get("schema_version") == str(db.SCHEMA_VERSION) and meta.get("order_match") == order_match \
        and meta.get("municipality") == municipality and meta.get("fingerprint") == fingerprint(raw_dir)
