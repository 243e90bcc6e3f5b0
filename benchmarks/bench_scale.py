"""National-scale data: generation, Parquet and CSV ingest, and the rate queries, with memory.

Each phase runs in its own process so its peak memory (max RSS) is its own. Prints every figure with
its target (issue #7) beside it:
  * Parquet ingest of the national data set                           < 60 s for 50 m lines, < 4 GiB
  * Danish-format CSV ingest                                          >= 300k lines/s, < 4 GiB
  * per-unit rates for one year, all municipalities (DuckDB)          < 0.5 s
  * per-municipality x category table for one year (DuckDB)           < 0.5 s
  * the same two results with pandas (checked equal), and a bare scan of the columns they need
and, for each ingest, its longest steps and (Parquet) the floor: the invoice Parquet copied into a
DuckDB file as it is, with no parsing, checks or duplicate search.

Run: .venv/bin/python benchmarks/bench_scale.py [--municipalities 98 --years 2022-2025]
(the defaults are a reduced size that runs in a few minutes). Ingest figures are the median of
--repeat runs (peak memory: the largest). --parquet DIR (--csv DIR) ingests an existing export
instead of generating one (e.g. the 50-million-line set made once with `analysis demo-data --format
parquet`); --skip-pandas times the DuckDB queries only (for sets too large for pandas here).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASE = r"""
import json, sys, time, resource
from pathlib import Path
phase, args = sys.argv[1], json.loads(sys.argv[2])
start = time.perf_counter()
result = {}
if phase == "generate":
    from analysis.synthetic.municipality import generate
    s = generate(Path(args["out"]), seed=7, years=tuple(args["years"]), scale=args["scale"],
                 municipalities=args["municipalities"], file_format=args["format"])
    result = {"lines": s.invoice_lines, "cards": s.card_transactions, "orders": s.orders, "units": s.units}
elif phase == "ingest":
    from analysis.ingest import ingest
    report = ingest(Path(args["raw"]), Path(args["db"]), memory_limit=args["memory_limit"])
    result = {"rows": sum(f.rows_read for f in report.files),
              "invoice_lines": sum(f.rows_read for f in report.files if f.kind in ("invoice_lines", "ehandel_table")),
              "steps": report.steps}
elif phase == "copy":  # the floor: the invoice Parquet copied into a DuckDB file as it is, no parsing or checks
    import duckdb
    start = time.perf_counter()  # the statement only, as the ingest's steps are timed
    con = duckdb.connect(args["db"], config={"memory_limit": args["memory_limit"]})
    con.execute("CREATE TABLE copy AS SELECT * FROM read_parquet(?, union_by_name = true)", [args["pattern"]])
    con.close()
result["seconds"] = time.perf_counter() - start
result["max_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
result["worker_max_rss_gib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # XML workers
print(json.dumps(result))
"""

UNITS_SQL = """SELECT ean, eligible_amount, ehandel_amount, rate FROM unit_period_rates
               WHERE period_type = 'year' AND period = ? ORDER BY ean"""
SCAN_SQL = """SELECT sum(amount), count(DISTINCT buyer_ean), count(order_ref), count(unspsc)
              FROM invoice_lines WHERE invoice_date BETWEEN ? AND ?"""


def ingest_runs(raw: Path, db: Path, memory_limit: str, repeat: int) -> dict:
    """Ingest ``repeat`` times, each in a fresh process: median seconds (and the median run's steps),
    largest peak memory."""
    runs = [run_phase("ingest", raw=str(raw), db=str(db), memory_limit=memory_limit) for _ in range(repeat)]
    median = sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]
    return {"rows": runs[0]["rows"], "invoice_lines": runs[0]["invoice_lines"],
            "seconds": statistics.median(r["seconds"] for r in runs), "steps": median["steps"],
            "all_seconds": [round(r["seconds"], 1) for r in runs], "max_rss_gib": max(r["max_rss_gib"] for r in runs)}


def steps_line(steps: list[list]) -> str:
    """The longest steps of an ingest, with their share of it."""
    total = sum(seconds for _, seconds in steps)
    longest = sorted(steps, key=lambda step: -step[1])[:5]
    return ", ".join(f"{name} {seconds:.1f} s ({seconds / total:.0%})" for name, seconds in longest)


def invoice_copy(raw: Path, db: Path, memory_limit: str, repeat: int) -> float | None:
    """Median seconds to copy the invoice Parquet into a DuckDB file as it is (None: not Parquet)."""
    from analysis.ingest import discover
    from analysis.ingest.readers import parquet_glob
    from analysis.ingest.schema import INVOICE_LINES

    found = discover(raw)  # the ingest's own reading of the folder: which file holds the invoice lines
    pattern = parquet_glob(next(item.path for item in found.sources if item.kind is INVOICE_LINES))
    if pattern is None:
        return None
    runs = []
    for _ in range(repeat):
        db.unlink(missing_ok=True)
        runs.append(run_phase("copy", db=str(db), memory_limit=memory_limit, pattern=pattern)["seconds"])
    db.unlink(missing_ok=True)
    return statistics.median(runs)


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants (the XML workers), from /proc; 0 elsewhere."""
    parents: dict[int, int] = {}
    sizes: dict[int, int] = {}
    if not os.path.isdir("/proc"):
        return 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)], sizes[int(entry)] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, added = {pid}, True
    while added:
        added = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                added = True
    return sum(sizes.get(member, 0) for member in tree)


def run_phase(phase: str, sample_memory: bool = False, **args) -> dict:
    """Run a phase in a process of its own and return its figures. With ``sample_memory``, also the
    peak memory of the process and its workers together (``tree_peak_gib``), read from /proc every
    50 ms: for a run of its own, not a timed one, because reading a busy process's /proc entries
    now and then stalled its DuckDB reads for seconds (4 s runs took 14 s)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([sys.executable, "-c", PHASE, phase, json.dumps(args)], stdout=out, stderr=err,
                                   text=True)
        peak = 0
        while process.poll() is None:
            if sample_memory:
                peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, phase, out.read(), err.read())
        result = json.loads(out.read().strip().splitlines()[-1])
    if sample_memory:
        result["tree_peak_gib"] = peak / 2**30
    return result


def timed(function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def queries(db: Path, year: int, with_pandas: bool = True) -> dict:
    import datetime as dt

    import duckdb
    import pandas as pd

    from analysis.engines import rates

    con = duckdb.connect(str(db), read_only=True)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    units_time = timed(lambda: con.execute(UNITS_SQL, [str(year)]).fetchall())
    category_time = timed(lambda: rates.municipality_category_rates(con, year))
    scan_time = timed(lambda: con.execute(SCAN_SQL, [first, last]).fetchall())
    timings = {"units": units_time, "categories": category_time, "scan": scan_time}
    if not with_pandas:  # e.g. 300 m lines: a year of them does not fit in pandas here
        con.close()
        return timings
    by_unit = con.execute(UNITS_SQL, [str(year)]).df()
    by_category = rates.municipality_category_rates(con, year)
    # pandas: the same purchases (eligible lines of the year, with municipality), then the same grouping.
    lines = con.execute("""SELECT p.ean, u.municipality, p.category, p.amount::DOUBLE AS amount, p.is_ehandel
                           FROM purchases p JOIN units u USING (ean)
                           WHERE p.eligible AND p.purchase_date BETWEEN ? AND ?""", [first, last]).df()
    con.close()

    def pandas_units() -> pd.DataFrame:
        grouped = lines.assign(e=lines["amount"].where(lines["is_ehandel"], 0.0)).groupby("ean")[["amount", "e"]].sum()
        return grouped.assign(rate=grouped["e"] / grouped["amount"])

    def pandas_categories() -> pd.DataFrame:
        return lines.assign(e=lines["amount"].where(lines["is_ehandel"], 0.0)).groupby(
            ["municipality", "category"])[["amount", "e"]].sum()

    pandas_units_time = timed(pandas_units, 3)
    pandas_category_time = timed(pandas_categories, 3)
    units_equal = bool(((pandas_units()["rate"].sort_index().to_numpy() - by_unit.set_index("ean")["rate"]
                         .sort_index().to_numpy().astype(float)) ** 2).max() < 1e-18)
    merged = pandas_categories().reset_index().merge(by_category, on=["municipality", "category"])
    categories_equal = len(merged) == len(by_category) and bool(
        ((merged["amount"] - merged["eligible_amount"]).abs() < 0.01).all())
    return {**timings, "pandas_units": pandas_units_time,
            "pandas_categories": pandas_category_time, "units_equal": units_equal,
            "categories_equal": categories_equal, "lines": len(lines)}


def latest_year(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT max(year(invoice_date)) FROM invoice_lines").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=10)
    parser.add_argument("--years", default="2024-2025")
    parser.add_argument("--scale", type=float, default=1.0, help="size of each municipality (1 = HTK)")
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--work", type=Path, help="folder for the data (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=3, help="ingest runs per format (median reported)")
    parser.add_argument("--parquet", type=Path, help="an existing Parquet export to ingest instead of generating one")
    parser.add_argument("--csv", type=Path, help="an existing Danish CSV export to ingest instead of generating one")
    parser.add_argument("--skip-csv", action="store_true", help="only the Parquet ingest and the queries")
    parser.add_argument("--skip-pandas", action="store_true", help="time the DuckDB queries only (very large sets)")
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split("-"))
    years = list(range(first, last + 1))
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        work = Path(work)
        print(f"machine: {sys.platform}, 2 cores assumed; memory limit for DuckDB {args.memory_limit}")
        raw = args.parquet
        if raw is None:
            raw = work / "parquet"
            gen = run_phase("generate", out=str(raw), years=years, scale=args.scale,
                            municipalities=args.municipalities, format="parquet")
            print(f"generate Parquet: {args.municipalities} municipalities x {len(years)} years, {gen['lines']:,} invoice"
                  f" lines + {gen['cards']:,} card rows in {gen['seconds']:.1f} s, peak {gen['max_rss_gib']:.2f} GiB")
        parquet = ingest_runs(raw, work / "p.duckdb", args.memory_limit, args.repeat)
        per_50m = parquet["seconds"] * 50e6 / parquet["invoice_lines"]
        print(f"ingest Parquet: {parquet['rows']:,} rows ({parquet['invoice_lines']:,} invoice lines) in"
              f" {parquet['seconds']:.1f} s (median of {parquet['all_seconds']}) = {parquet['rows'] / parquet['seconds']:,.0f}"
              f" rows/s, peak {parquet['max_rss_gib']:.2f} GiB; at this rate 50 m invoice lines take {per_50m:.0f} s"
              f"   (target: 50 m lines < 60 s, < 4 GiB)")
        print(f"  longest steps (median run): {steps_line(parquet['steps'])}")
        copy = invoice_copy(raw, work / "copy.duckdb", args.memory_limit, args.repeat)
        if copy is not None:
            invoice_step = dict(parquet["steps"])["checking and loading invoice_lines"]
            print(f"  floor: the invoice Parquet copied into DuckDB as it is (no parsing, checks or duplicates)"
                  f" {copy:.1f} s (median of {args.repeat}); the invoice step takes {invoice_step / copy:.1f}x that,"
                  f" the whole ingest {parquet['seconds'] / copy:.1f}x")
        if not args.skip_csv:
            csv_raw, label = args.csv, str(args.csv)
            if csv_raw is None:
                csv_raw, csv_municipalities = work / "csv", max(1, args.municipalities // 5)
                label = f"{csv_municipalities} municipalities"
                run_phase("generate", out=str(csv_raw), years=years, scale=args.scale,
                          municipalities=csv_municipalities, format="csv")
            csv = ingest_runs(csv_raw, work / "c.duckdb", args.memory_limit, args.repeat)
            print(f"ingest Danish CSV ({label}): {csv['rows']:,} rows in {csv['seconds']:.1f} s"
                  f" (median of {csv['all_seconds']}) = {csv['rows'] / csv['seconds']:,.0f} rows/s, peak"
                  f" {csv['max_rss_gib']:.2f} GiB   (target >= 300k lines/s, < 4 GiB)")
            print(f"  longest steps (median run): {steps_line(csv['steps'])}")
        year = years[-1] if args.parquet is None else latest_year(work / "p.duckdb")
        q = queries(work / "p.duckdb", year, with_pandas=not args.skip_pandas)
        if args.skip_pandas:
            print(f"queries for {year} (median of 5): per-unit rates {q['units']:.3f} s, municipality x category"
                  f" {q['categories']:.3f} s, bare scan {q['scan']:.3f} s   (target < 0.5 s)")
            return
        print(f"queries on {q['lines']:,} eligible lines of {year} (median of 5):")
        print(f"  per-unit rates, all municipalities   {q['units']:.3f} s   target < 0.5 s; pandas {q['pandas_units']:.3f} s,"
              f" equal: {q['units_equal']}")
        print(f"  municipality x category table        {q['categories']:.3f} s   target < 0.5 s; pandas"
              f" {q['pandas_categories']:.3f} s, equal: {q['categories_equal']}")
        print(f"  bare scan of the needed columns      {q['scan']:.3f} s   ratio query/scan "
              f"{q['units'] / q['scan']:.1f} and {q['categories'] / q['scan']:.1f} (target <= 3)")
        print(f"  ratio pandas/DuckDB                  {q['pandas_units'] / q['units']:.1f} and "
              f"{q['pandas_categories'] / q['categories']:.1f} (target >= 3; pandas timed on data already in memory)")


if __name__ == "__main__":
    main()
