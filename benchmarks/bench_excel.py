"""Invoice lines ingested from Excel workbooks (.xlsx, and the old binary .xls) beside the same lines as CSV.

Writes a synthetic municipality, then its first --lines invoice lines (at most 65,535: what an .xls
sheet holds below its header) three ways: the Danish CSV (the baseline, same run), an .xlsx with
cells typed as Excel types them (dates as dates, amounts as numbers; openpyxl), and that workbook
saved by LibreOffice as Excel 97-2003 (.xls; left out where LibreOffice is not installed). Each is
ingested in a process of its own; prints lines per second and the ratio to the CSV path.

Run: .venv/bin/python benchmarks/bench_excel.py [--scale 0.3] [--lines 65535] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_scale import run_phase  # noqa: E402  (one way to run a phase in a process of its own)

XLS_ROWS = 65_536  # an .xls sheet's rows, the header's included


def typed(header: str, value: str) -> object:
    """A CSV field as Excel would hold it in a workbook: dates and amounts typed, the rest text."""
    if value and header == "Fakturadato":
        return datetime.strptime(value, "%d-%m-%Y")
    if value and header in ("Beløb", "Linjenummer"):
        return float(Decimal(value.replace(".", "").replace(",", ".")))  # 1.234,56
    return value


def write_forms(source: Path, work: Path, lines: int) -> dict[str, Path]:
    """The raw folder with its invoice lines cut to ``lines``, as CSV, .xlsx and (with LibreOffice) .xls."""
    import openpyxl

    with (source / "fakturalinjer_2025.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(itertools.islice(csv.reader(handle, delimiter=";"), lines + 1))
    forms = {}
    for form in ("csv", "xlsx", "xls"):
        raw = work / form
        shutil.copytree(source, raw, ignore=shutil.ignore_patterns("fakturalinjer*"))
        forms[form] = raw
    with (forms["csv"] / "fakturalinjer.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("fakturalinjer")
    header = rows[0]
    sheet.append(header)
    for row in rows[1:]:
        sheet.append([typed(name, value) for name, value in zip(header, row)])
    book.save(forms["xlsx"] / "fakturalinjer.xlsx")
    soffice = shutil.which("soffice")
    if soffice is None:
        del forms["xls"]
        return forms
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{work}/lo", "--convert-to", "xls:MS Excel 97",
                    "--outdir", str(forms["xls"]), str(forms["xlsx"] / "fakturalinjer.xlsx")],
                   check=True, capture_output=True, timeout=1200)
    return forms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.3, help="size of the municipality (1.0: HTK, one year)")
    parser.add_argument("--lines", type=int, default=XLS_ROWS - 1, help="invoice lines in each form (at most 65,535)")
    parser.add_argument("--repeat", type=int, default=3, help="ingests per form (median seconds)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the data (default: a temporary one)")
    args = parser.parse_args()
    if not 0 < args.lines < XLS_ROWS:
        parser.error(f"--lines must be from 1 to {XLS_ROWS - 1:,} (an .xls sheet's rows below its header)")
    from analysis.synthetic.municipality import generate

    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        generate(work / "source", seed=7, years=(2025,), scale=args.scale)
        forms = write_forms(work / "source", work, args.lines)
        runs: dict[str, list[dict]] = {form: [] for form in forms}
        for _ in range(args.repeat):  # the forms in turn, so that the machine's drift hits each alike
            for form, raw in forms.items():
                runs[form].append(run_phase("ingest", raw=str(raw), db=str(work / f"{form}.duckdb"), memory_limit="3GB"))
        csv_rate = None
        for form, done in runs.items():
            seconds = statistics.median(r["seconds"] for r in done)
            lines = done[0]["invoice_lines"]
            rate = lines / seconds
            csv_rate = csv_rate or rate
            label = {"csv": "CSV ingest (baseline)", "xlsx": ".xlsx ingest", "xls": ".xls ingest"}[form]
            print(f"{label}: {lines:,} invoice lines in {seconds:.2f} s (runs {[round(r['seconds'], 2) for r in done]})"
                  f" = {rate:,.0f} lines/s; {form} / CSV lines per second: {rate / csv_rate:.2f};"
                  f" peak {max(r['max_rss_gib'] for r in done):.2f} GiB")
        if "xls" not in forms:
            print(".xls ingest: left out (LibreOffice, which writes the .xls, is not installed)")
        print("target: none set; a year of invoice lines is rarely delivered as a workbook (an .xls sheet holds 65,535)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
