"""Opening the purchases database and defining its SQL views.

Notebooks and the CLI open the database read-only, so reports can run while an ingest builds the
next file. The views (``sql/views.sql``) are the single definition of the e-handel rate.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from .errors import DatabaseError
from .paths import PACKAGE_DIR
from .ingest.schema import FILE_KINDS

VIEWS_SQL = PACKAGE_DIR / "sql" / "views.sql"
# Raised whenever the ingest writes tables or views that a database built before cannot serve (the
# monthly totals, say): such a database is refused with a request to ingest again.
SCHEMA_VERSION = 8  # 8: ingest_totals, orders.line_no


def connect(path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a database built by the ingest; a clear error when there is none, or when another
    version of the package built it."""
    path = Path(path)
    if not path.exists():
        raise DatabaseError(
            f"{path}: database not found; build it with 'analysis ingest RAW_DIR --db {path}' or 'make data'"
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:  # held by another process, a stale write-ahead log, not a database
        raise DatabaseError(f"{path}: cannot be opened ({str(error).splitlines()[0]}). If another program (a"
                            " notebook, the explorer, DuckDB's shell) has it open for writing, close it; otherwise"
                            f" build it again with 'analysis ingest RAW_DIR --db {path}'") from None
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not {"units", "invoice_lines", "purchases", "meta"} <= tables:
        con.close()
        raise DatabaseError(f"{path}: not a database built by 'analysis ingest' (tables missing)")
    found = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if found is None or found[0] != str(SCHEMA_VERSION):
        con.close()
        built = "before schema versions" if found is None else f"with schema {found[0]}"
        raise DatabaseError(
            f"{path}: built by another version of analysis ({built}; this version reads schema {SCHEMA_VERSION});"
            f" build it again from the raw files with 'analysis ingest RAW_DIR --db {path}'"
        )
    return con


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the SQL views on the loaded tables, and the monthly totals they add up."""
    con.execute(VIEWS_SQL.read_text(encoding="utf-8"))


def meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The ingest's metadata: municipality name, raw folder, time of ingest, synthetic or not."""
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def ingest_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each raw file's own totals row ("I alt"), quarantined as not a purchase: its line, label and
    amount, and what the file's other rows add up to (``others``)."""
    return con.execute("SELECT file, line, label, amount, rows, others FROM ingest_totals ORDER BY file").df()


def ingest_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The ingest's reconciliation per file (read = loaded + quarantined, rows and kroner), with the
    Danish name of each file's kind (``kind_label``)."""
    frame = con.execute("SELECT * FROM ingest_files ORDER BY file").df()  # as the analyst sees the folder
    without_amounts = frame["kind"].isin([k.name for k in FILE_KINDS if k.amount_column is None])
    for column in ("amount_read", "amount_loaded", "amount_quarantined"):
        frame[column] = frame[column].astype(float).mask(without_amounts)
    frame["kind_label"] = frame["kind"].map({k.name: k.label for k in FILE_KINDS})
    return frame
