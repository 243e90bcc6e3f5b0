"""The municipality beside published e-handel figures (KL/SKI, other municipalities).

Benchmark rows live in ``data/reference/benchmark.csv``, each with its source; a newer file an
analyst downloads drops in beside it (any ``benchmark*.csv`` in the folder, or a path given as a
parameter) and is validated like every import. A figure without a source is not a benchmark:
the loader refuses it, and the notebooks take unsourced figures only as parameters.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ParameterError
from ..ingest import read_reference
from ..paths import REFERENCE_DIR
from ..ingest.schema import BENCHMARKS

MEASURES = {"andel_kr": "andel af kroner", "andel_fakturaer": "andel af fakturaer"}
_CHECKS = [
    (f"p_measure NOT IN ({', '.join(repr(m) for m in MEASURES)})", "measure",
     "'is not one of " + ", ".join(MEASURES) + "'"),
    ("p_value < 0 OR p_value > 100", "value", "'is not a percentage from 0 to 100'"),
    ("NOT regexp_matches(p_url, '^https?://')", "url", "'is not a web address (http or https)'"),
]


def load_benchmarks(extra_file: str | Path | None = None, folder: Path = REFERENCE_DIR) -> pd.DataFrame:
    """All benchmark rows: the project's files in ``folder`` plus ``extra_file``, validated.

    Where two files give the same municipality, year and measure, the later file wins (files are
    read in name order, the extra file last), so next year's download replaces older figures.
    """
    files = sorted(folder.glob("benchmark*.csv"))
    if extra_file:
        extra_path = Path(extra_file)
        if not extra_path.exists():
            raise ParameterError(f"benchmark_file: {extra_path} does not exist")
        files.append(extra_path)
    frames = [read_reference(path, BENCHMARKS, _CHECKS).assign(file=path.name) for path in files]
    table = pd.concat(frames, ignore_index=True)
    table["country"] = table["country"].fillna("DK")
    table["rate"] = table["value"].astype(float) / 100
    table = table.drop_duplicates(["municipality", "year", "measure"], keep="last")
    return table.sort_values(["municipality", "year", "measure"]).reset_index(drop=True)


def comparators(table: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """The benchmark rows of the named comparators; an unknown name is an error listing the known ones."""
    known = sorted(table["municipality"].unique())
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ParameterError(f"comparators: no benchmark figures for {', '.join(unknown)}; known: {', '.join(known)}")
    return table[table["municipality"].isin(names)].reset_index(drop=True)


def target_rate(table: pd.DataFrame, target: str) -> tuple[float, str]:
    """A target e-handel rate and its description: a number ('0.5' or '50 %') or a benchmark's
    latest kroner figure by name ('Københavns Kommune')."""
    text = str(target).strip().replace("%", "").replace(",", ".").strip()
    try:
        value = float(text)
    except ValueError:
        rows = table[(table["municipality"] == target) & (table["measure"] == "andel_kr")]
        if rows.empty:
            known = sorted(table.loc[table["measure"] == "andel_kr", "municipality"].unique())
            raise ParameterError(f"target: {target!r} is neither a rate nor a benchmark; known: {', '.join(known)}") \
                from None
        latest = rows.sort_values("year").iloc[-1]
        return float(latest["rate"]), f"{target} {latest['year']}"
    share = value / 100 if value > 1 else value
    if not 0 <= share <= 1:
        raise ParameterError(f"target: {target!r} is not a rate from 0 to 100 %")
    return share, "valgt mål"


def gap(own_rate: float, own_eligible: float, benchmark_rate: float) -> tuple[float, float]:
    """The gap to a benchmark: percentage points (as a share) and kroner of eligible spend that
    would have to move into e-handel to close it (0 when the municipality is already above)."""
    points = benchmark_rate - own_rate
    return points, max(0.0, points) * own_eligible
