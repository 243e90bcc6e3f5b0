"""The run register: what each build computed, kept beside the database, so that this year's
proposal can be put beside last year's (``analysis compare 2025 2026``).

A build that ranks units (03, 04 or 06) records, under ``<database folder>/runs/<run>/``, its
parameters, measurement period, the fingerprint of the raw files and the code, and every unit's
rate, rank and cut (``units.parquet``). The register is not inside a report folder: a run folder is
replaced by the next build of the same name, and the register outlives it (a rebuild of a run
replaces that run's entry, no other). Comparing two entries shows who is newly selected, who left
the selection, who improved by how much, and how each unit's cut changed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .engines.penalty import RATE_COLUMNS, Repeat, side_by_side
from .errors import ParameterError
from .ingest import provenance
from .inputs import PenaltyInputs
from .report.documents import replace_folder

REGISTER = "runs"
UNIT_COLUMNS = ["ean", "name", "unit_type", "eligible_amount", "goods_budget", "rate", "count_rate", "status", "rank",
                "cut", "cut_share_of_budget"]


def register_dir(db_path: Path) -> Path:
    return Path(db_path).resolve().parent / REGISTER


def record(db_path: Path, run: str, inputs: PenaltyInputs, parameters: dict[str, Any]) -> Path:
    """Write (or replace) the register's entry for ``run``, whole or not at all."""
    folder = register_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    entry = {
        "run": run,
        "recorded": datetime.now().isoformat(timespec="seconds"),
        "period": inputs.period,
        "first_day": inputs.first_day.isoformat(),
        "last_day": inputs.last_day.isoformat(),
        "year": inputs.year,
        "data_fingerprint": inputs.db.meta.get("fingerprint", ""),
        "code_fingerprint": provenance.code_fingerprint(),
        "scenario_id": inputs.scenario_id,
        "parameters": {key: value for key, value in parameters.items() if key != "db_path"},
        "municipality": inputs.db.meta.get("municipality", ""),
    }
    staging = Path(tempfile.mkdtemp(prefix=f".{run}.partial-", dir=folder))
    try:
        (staging / "run.json").write_text(json.dumps(entry, ensure_ascii=False, indent=1, default=str),
                                          encoding="utf-8")
        inputs.result.table[UNIT_COLUMNS].to_parquet(staging / "units.parquet", index=False)
        return replace_folder(staging, folder / run)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@dataclass(frozen=True)
class Run:
    """One register entry: its record and its units."""

    entry: dict[str, Any]
    units: pd.DataFrame

    @property
    def name(self) -> str:
        return self.entry["run"]


def entries(db_path: Path) -> list[dict[str, Any]]:
    """The register's records (without their units), oldest measurement period first."""
    folder = register_dir(db_path)
    found = [json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*/run.json")] \
        if folder.exists() else []
    return sorted(found, key=lambda entry: (entry["last_day"], entry["run"]))


def load(db_path: Path, run: str) -> Run:
    path = register_dir(db_path) / run
    if not (path / "run.json").exists():
        known = ", ".join(entry["run"] for entry in entries(db_path)) or "none yet (a build that ranks units records one)"
        raise ParameterError(f"run {run!r} is not in the register {register_dir(db_path)}; the runs are: {known}")
    return Run(json.loads((path / "run.json").read_text(encoding="utf-8")), pd.read_parquet(path / "units.parquet"))


# How a unit's place changed from one run to the next (Danish: the reader's words).
CHANGES = {"again": "Ramt begge gange", "new": "Nyt udvalgt", "left": "Ikke længere udvalgt"}


@dataclass(frozen=True)
class Comparison:
    """Two runs side by side (``penalty.side_by_side``, as 03 puts this year beside the last)."""

    before: Run
    after: Run
    repeat: Repeat

    def count(self, change: str) -> int:
        return len({"again": self.repeat.again, "new": self.repeat.new, "left": self.repeat.left}[change])

    @property
    def again_improved(self) -> int:
        """Units cut in both runs although their rate rose: what the relative ranking does to improvement."""
        return len(self.repeat.improved_again)

    @cached_property
    def table(self) -> pd.DataFrame:
        """One row per unit cut in either run: cut in both first, then new, then gone; largest cut first."""
        table = self.repeat.table
        change = np.select([table["selected_before"] & table["selected_now"], table["selected_now"]],
                           [CHANGES["again"], CHANGES["new"]], CHANGES["left"])
        shown = table.assign(change=change, rate_change=table["rate_now"] - table["rate_before"],
                             cut_change=table["cut_now"] - table["cut_before"],
                             order=pd.Series(change).map({label: i for i, label in enumerate(CHANGES.values())}))
        shown = shown.sort_values(["order", "cut_now", "cut_before", "ean"], ascending=[True, False, False, True])
        return shown[["ean", "name", "change", "rate_before", "rate_now", "rate_change", "rank_before", "rank_now",
                      "cut_before", "cut_now", "cut_change"]].reset_index(drop=True)


def compare(before: Run, after: Run) -> Comparison:
    """Two recorded runs side by side, each unit's rate on the basis its run ranked on."""
    bases = {run.entry["parameters"].get("basis", "amount") for run in (before, after)}
    if len(bases) > 1:
        raise ParameterError(f"runs {before.name} and {after.name} ranked on different bases ({', '.join(sorted(bases))}):"
                             " their rates cannot be compared")
    rate = RATE_COLUMNS[bases.pop()]
    return Comparison(before, after, side_by_side(before.units, after.units, rate))
