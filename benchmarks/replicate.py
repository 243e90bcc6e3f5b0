"""Build a very large raw set from a generated national one, for the by-hand out-of-core run.

Issue #7 asks to show once that 300 million invoice lines still ingest and aggregate. Generating
them with `analysis demo-data` would take over an hour on this machine (one core, row by row);
this script takes a generated set (e.g. 98 municipalities x 4 years, 52 m lines) and writes it
`--copies` times into one partitioned folder, each copy with its own invoice, order and card ids
(so no copy is a duplicate of another and e-handel references still find their orders), in
minutes with DuckDB. The units, agreements and categories are the source's.

    .venv/bin/analysis demo-data --out /tmp/n50 --municipalities 98 --years 2022-2025 --format parquet
    .venv/bin/python benchmarks/replicate.py /tmp/n50 /tmp/n300 --copies 6
    .venv/bin/python benchmarks/bench_scale.py --parquet /tmp/n300 --skip-csv --repeat 1
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

import duckdb

# Per partitioned kind: the id column and the columns holding a reference to an order id.
IDS = {"fakturalinjer": ("Fakturanummer", "Ordrereference"), "ordrer": ("Ordrenummer", None),
       "kort": ("Transaktions-ID", None)}


def replicate(source: Path, target: Path, copies: int, memory_limit: str = "3GB") -> int:
    """Write ``copies`` copies of ``source``'s partitioned kinds into ``target``; invoice lines written."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for item in source.iterdir():
        if item.is_file():
            shutil.copy2(item, target / item.name)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    lines = 0
    for kind, (id_column, reference) in IDS.items():
        files = sorted((source / kind).rglob("*.parquet"))
        columns = [row[0] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)",
                                                 [str(files[0])]).fetchall()]
        for copy in range(copies):
            prefix = f"R{copy}-"

            def renamed(column: str) -> str:
                quoted = '"' + column.replace('"', '""') + '"'
                if column == id_column and copy:
                    return f"'{prefix}' || {quoted} AS {quoted}"
                if column == reference and copy:  # e-handel references point at the same copy's orders
                    return f"CASE WHEN starts_with({quoted}, 'EH-') THEN '{prefix}' || {quoted} ELSE {quoted} END AS {quoted}"
                return quoted

            select = ", ".join(renamed(c) for c in columns)
            for file in files:  # file by file: one partitioned COPY of everything thrashed at 3 GB
                out = target / file.relative_to(source).with_name(f"kopi{copy}-{file.name}")
                out.parent.mkdir(parents=True, exist_ok=True)
                target_sql = str(out).replace("'", "''")  # COPY takes no parameter for its target
                con.execute(f"COPY (SELECT {select} FROM read_parquet(?, hive_partitioning = false)) TO '{target_sql}'"
                            " (FORMAT parquet)", [str(file)])
        if kind == "fakturalinjer":
            lines = con.execute("SELECT count(*) FROM read_parquet(?)", [str(target / kind / "**" / "*.parquet")]
                                ).fetchone()[0]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a folder written by analysis demo-data --format parquet")
    parser.add_argument("target", type=Path, help="the folder to write (replaced)")
    parser.add_argument("--copies", type=int, default=6)
    args = parser.parse_args()
    start = time.perf_counter()
    lines = replicate(args.source, args.target, args.copies)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{lines:,} invoice lines in {args.target} in {time.perf_counter() - start:.0f} s, peak {peak:.2f} GiB")


if __name__ == "__main__":
    main()
