"""Validation of notebook parameters, shared by the report build and the notebooks themselves.

The build validates every notebook's parameters before any notebook runs; each notebook calls
the same function in its first cell, so a plain ``papermill -p`` run is checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import db, rates
from .paths import DEFAULT_DATABASE
from .errors import ParameterError

BASES = {"amount": "kroner", "count": "antal fakturaer"}


def database_path(db_path: str | Path) -> Path:
    """'' means the default database; the file must exist."""
    path = Path(db_path) if str(db_path) else DEFAULT_DATABASE
    if not path.exists():
        raise ParameterError(f"db_path: {path} does not exist; build it with 'make data' or 'analysis ingest'")
    return path.resolve()


def parse_date(text: str) -> date:
    """'' means today; otherwise yyyy-mm-dd or dd-mm-yyyy (fixing it makes a rebuild identical)."""
    if not text:
        return date.today()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ParameterError(f"report_date: {text!r} is not a date (use yyyy-mm-dd)")


def whole_number(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ParameterError(f"{name}: must be a whole number from {low} to {high}, not {value!r}")
    return value


def choice(name: str, value: Any, allowed: dict[str, str] | tuple[str, ...]) -> str:
    if value not in allowed:
        raise ParameterError(f"{name}: must be one of {', '.join(allowed)}, not {value!r}")
    return value


def ehandel_status(db_path: str = "", year: int | None = None, level: int = 2, top_n: int = 10,
                   basis: str = "amount", report_date: str = "", case_number: str = "") -> dict[str, Any]:
    """Parameters of 01_ehandel_status, resolved: the database path, the year (default: latest
    complete year), organisation level, how many lowest/highest units to list, and the basis."""
    path = database_path(db_path)
    if year is not None:
        whole_number("year", year, 1990, 2100)
    con = db.connect(path)
    try:
        resolved_year = rates.check_year(con, year)
    finally:
        con.close()
    return {
        "db_path": path,
        "year": resolved_year,
        "level": whole_number("level", level, 1, 4),
        "top_n": whole_number("top_n", top_n, 1, 50),
        "basis": choice("basis", basis, BASES),
        "report_date": parse_date(report_date),
        "case_number": str(case_number),
    }


# Notebook name (file name without the number) -> its validator; keyword names match the
# notebook's parameters cell.
VALIDATORS: dict[str, Callable[..., dict[str, Any]]] = {
    "ehandel_status": ehandel_status,
}


def validate(notebook: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run the notebook's validator on its parameters (as the parameters cell names them)."""
    return VALIDATORS[notebook](**parameters)
