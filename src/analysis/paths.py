"""Where the project's files live, relative to the repository root (the package is installed editable)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parents[1]
DATA_DIR = PROJECT_ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
DEFAULT_CATEGORIES = REFERENCE_DIR / "kategorier.csv"
SYNTHETIC_RAW_DIR = DATA_DIR / "raw" / "synthetic"
DEFAULT_DATABASE = DATA_DIR / "ehandel.duckdb"
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"
TEMPLATE_DIR = PACKAGE_DIR / "report" / "templates"
STYLE_DIR = PACKAGE_DIR / "report" / "style"
