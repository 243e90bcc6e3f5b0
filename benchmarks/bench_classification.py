"""Classification by the rule set (UNSPSC, art, supplier, Varetype, description) beside the ingest's
invoice step, on real-like data (UNSPSC on catalogue lines only, an art on every posting).

Writes the synthetic municipalities in real-like mode as Parquet (or takes --raw), ingests them in a
process of its own, and prints, with the target of issue #16 beside it:
  * the ingest's invoice step (parse, check, write the invoice lines)        the baseline, same run
  * classification: building the classification maps (ingest step) plus classifying every purchase
    line through the purchases view (each line's first matching key, eligibility and category)
                                                                              <= 1.5x the invoice step

Run: .venv/bin/python benchmarks/bench_classification.py [--municipalities 10 --years 2024-2025]
For 50 m lines: --municipalities 98 --years 2022-2025 (about 6 min to generate, --work /tmp).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from bench_scale import run_phase  # noqa: E402  (one way to run a phase in a process of its own)

CLASSIFY_SQL = """SELECT eligibility_rule, eligible, category_id, count(*), sum(amount)
                  FROM purchases GROUP BY ALL"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=10)
    parser.add_argument("--years", default="2024-2025")
    parser.add_argument("--scale", type=float, default=1.0, help="size of each municipality (1.0: HTK)")
    parser.add_argument("--raw", type=Path, default=None, help="an existing raw folder instead of generating one")
    parser.add_argument("--repeat", type=int, default=3, help="classification scans (median)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the data (default: a temporary one)")
    args = parser.parse_args()
    from analysis.synthetic.municipality import generate

    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        raw = args.raw
        if raw is None:
            raw = work / "raw"
            first, last = (int(y) for y in args.years.split("-"))
            start = time.perf_counter()
            summary = generate(raw, seed=7, years=tuple(range(first, last + 1)), municipalities=args.municipalities,
                               scale=args.scale, file_format="parquet", real_like=True)
            print(f"generated {summary.invoice_lines:,} real-like invoice lines in {time.perf_counter() - start:.1f} s")
        db = work / "classified.duckdb"
        run = run_phase("ingest", raw=str(raw), db=str(db), memory_limit="3GB")
        steps = dict(run["steps"])
        invoice_step = steps["checking and loading invoice_lines"]
        maps_step = steps["classification maps and reconciliation"]
        con = duckdb.connect(str(db), read_only=True)
        scans = []
        for _ in range(args.repeat):
            begin = time.perf_counter()
            rows = con.execute(CLASSIFY_SQL).fetchall()
            scans.append(time.perf_counter() - begin)
        by_rule = con.execute("SELECT coalesce(eligibility_rule, 'uklassificeret'), count(*) FROM purchases"
                              " GROUP BY ALL ORDER BY 2 DESC").fetchall()
        con.close()
        scan = statistics.median(scans)
        classification = maps_step + scan
        print(f"invoice lines: {run['invoice_lines']:,}; purchase lines by key: "
              + ", ".join(f"{rule} {count:,}" for rule, count in by_rule) + f" ({len(rows)} groups)")
        print(f"ingest's invoice step (baseline): {invoice_step:.2f} s; whole ingest {run['seconds']:.1f} s,"
              f" peak {run['max_rss_gib']:.2f} GiB")
        print(f"classification: maps {maps_step:.2f} s (the ingest step, with the reconciliation) + every line"
              f" classified {scan:.2f} s (runs {[round(s, 2) for s in scans]}) = {classification:.2f} s")
        print(f"classification / invoice step: {classification / invoice_step:.2f}  [target: <= 1.5]")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
