"""What an ingest did: each raw file's reconciliation (read = loaded + quarantined, in rows and
kroner), the first problems, the warnings and where the time went."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path


@dataclass
class FileResult:
    """Reconciliation of one raw file."""

    file: str
    kind: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    amount_read: Decimal
    amount_loaded: Decimal
    amount_quarantined: Decimal
    rows_unpriced: int = 0  # quarantined rows whose amount could not be read: not in the kroner above
    note: str = ""


@dataclass
class IngestReport:
    """What an ingest did: per-file reconciliation, problems found, and warnings."""

    database: Path
    files: list[FileResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # first quarantine messages, for the console
    warnings: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds), in order: where time goes
    fingerprint: str = ""  # of the raw files, reference files and ingest code (provenance.fingerprint)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)
