"""Scenario loop speed on one year of the synthetic municipality (issue: penalty simulation).

Prints, with the target beside each figure:
  * one scenario recompute (rank + select + allocate), median of 50 runs        target < 50 ms
  * 1,000 bootstrap replicates of the selection probability (vectorised)        target < 2 s
  * the same bootstrap as a straightforward pandas loop over replicates, timed on a few
    replicates and scaled to 1,000, and the ratio between the two.

Run: .venv/bin/python benchmarks/bench_penalty.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import db
from analysis.engines import rates
from analysis.ingest import ingest
from analysis.engines.penalty import PenaltyParameters, rank_units, selection_probability, simulate
from analysis.synthetic.municipality import generate


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def pandas_loop_bootstrap(documents: pd.DataFrame, units: pd.DataFrame, parameters: PenaltyParameters,
                          replicates: int, seed: int = 1) -> pd.Series:
    """The obvious way: for each replicate, resample every unit's documents with groupby.sample."""
    ranked = rank_units(units, parameters)
    eans = set(ranked.loc[ranked["rank"].notna(), "ean"])
    docs = documents[documents["ean"].isin(eans)].assign(e=lambda d: d["amount"] * d["is_ehandel"])
    counts = pd.Series(0, index=sorted(eans))
    for replicate in range(replicates):
        sample = docs.groupby("ean", group_keys=False).sample(frac=1.0, replace=True, random_state=seed + replicate)
        sums = sample.groupby("ean")[["e", "amount"]].sum()
        lowest = (sums["e"] / sums["amount"]).sort_values(kind="stable").index[:parameters.n]
        counts[lowest] += 1
    return counts / replicates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size of the municipality (1 = HTK)")
    parser.add_argument("--loop-replicates", type=int, default=20, help="replicates timed for the pandas loop")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        raw, path = Path(work) / "raw", Path(work) / "bench.duckdb"
        generate(raw, seed=2026, years=(2025,), scale=args.scale)
        start = time.perf_counter()
        report = ingest(raw, path)
        ingest_seconds = time.perf_counter() - start
        rows = sum(f.rows_read for f in report.files)
        con = db.connect(path)
        first, last = rates.measurement_period(2025)
        units = rates.unit_rates_between(con, first, last)
        documents = rates.unit_documents_between(con, first, last)
        con.close()

    parameters = PenaltyParameters()
    scenario = timed(lambda: simulate(units, parameters), 50)
    bootstrap = timed(lambda: selection_probability(documents, units, parameters, replicates=1000), 3)
    loop = timed(lambda: pandas_loop_bootstrap(documents, units, parameters, args.loop_replicates), 1)[0]
    loop_1000 = loop / args.loop_replicates * 1000

    print(f"machine: {sys.platform}, {__import__('os').cpu_count()} cores, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"data: {len(units)} units, {len(documents):,} eligible documents, {rows:,} rows ingested in "
          f"{ingest_seconds:.1f} s ({rows / ingest_seconds:,.0f} rows/s)")
    print(f"scenario recompute (median of 50)     {statistics.median(scenario) * 1000:8.1f} ms   target < 50 ms")
    print(f"bootstrap 1,000 replicates (median 3) {statistics.median(bootstrap):8.2f} s    target < 2 s")
    print(f"pandas loop, scaled to 1,000          {loop_1000:8.2f} s    ({args.loop_replicates} replicates timed)")
    print(f"ratio pandas loop / vectorised        {loop_1000 / statistics.median(bootstrap):8.1f} x")


if __name__ == "__main__":
    main()
