"""OIOUBL XML and the KMD/TrueLink table ingested beside the CSV path, on the same invoice lines.

Writes a synthetic municipality, then the same invoice lines as one OIOUBL 2.02 file per document
(analysis.synthetic.oioubl_export) and as the KMD Insight table in a guarded cp1252 zip (analysis.synthetic.kmd_export),
and ingests each form in a process of its own (so its peak memory is its own). Prints, with the
targets of issue #15 beside them:
  * XML ingest                                  >= 2,000 documents/s on 2 cores, peak memory < 1 GiB
  * the same documents in one zip               at the folder's documents/s (ratio printed)
  * KMD table ingest                            at the CSV path's lines/s (ratio printed)
  * the CSV path's rate for the same lines      (the baseline, same run), as UTF-8 and as cp1252
    (a Windows export, which like the KMD table is transcoded before DuckDB reads it)

Run: .venv/bin/python benchmarks/bench_xml.py [--scale 1.0] [--documents 100000] [--repeat 3]
(the defaults are a reduced size). --documents caps the XML documents written (and so read).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_scale import run_phase  # noqa: E402  (one way to run a phase in a process of its own)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.3, help="size of the municipality (1.0: HTK, one year)")
    parser.add_argument("--documents", type=int, default=None, help="at most this many XML documents")
    parser.add_argument("--repeat", type=int, default=3, help="ingests per form (median seconds)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the data (default: a temporary one)")
    args = parser.parse_args()
    from analysis.synthetic.kmd_export import write_kmd_table
    from analysis.synthetic.oioubl_export import XML_FOLDER, write_oioubl
    from analysis.synthetic.municipality import generate

    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        csv_raw, xml_raw, kmd_raw, ansi_raw = work / "csv", work / "xml", work / "kmd", work / "cp1252"
        zip_raw = work / "xml-zip"
        generate(csv_raw, seed=7, years=(2025,), scale=args.scale)
        for copy in (xml_raw, kmd_raw, ansi_raw):
            shutil.copytree(csv_raw, copy)
        for path in ansi_raw.glob("fakturalinjer*.csv"):  # the invoice lines as a Windows export
            path.write_bytes(path.read_text(encoding="utf-8-sig").encode("cp1252", errors="replace"))
        documents = write_oioubl(xml_raw, limit=args.documents)
        shutil.copytree(xml_raw, zip_raw, ignore=shutil.ignore_patterns(XML_FOLDER))
        with zipfile.ZipFile(zip_raw / f"{XML_FOLDER}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((xml_raw / XML_FOLDER).iterdir()):
                archive.write(path, path.name)
        write_kmd_table(kmd_raw)
        forms = {"csv": csv_raw, "cp1252": ansi_raw, "kmd": kmd_raw, "xml": xml_raw, "xml-zip": zip_raw}
        runs: dict[str, list[dict]] = {form: [] for form in forms}
        for _ in range(args.repeat):  # the forms in turn, so that the machine's drift hits each alike
            for form, raw in forms.items():
                runs[form].append(run_phase("ingest", raw=str(raw), db=str(work / f"{form}.duckdb"), memory_limit="3GB"))
        results = {form: {"seconds": statistics.median(r["seconds"] for r in done), "lines": done[0]["invoice_lines"],
                          "rss": max(r["max_rss_gib"] for r in done), "workers_rss": max(r["worker_max_rss_gib"] for r in done),
                          "all": [round(r["seconds"], 2) for r in done]}
                   for form, done in runs.items()}
        # One more XML run, not timed, for the memory of the process and its workers together.
        results["xml"]["tree"] = run_phase("ingest", sample_memory=True, raw=str(xml_raw), db=str(work / "xml.duckdb"),
                                           memory_limit="3GB")["tree_peak_gib"]
        xml, csv, kmd = results["xml"], results["csv"], results["kmd"]
        print(f"XML: {documents:,} OIOUBL documents, {xml['lines']:,} invoice lines; CSV: {csv['lines']:,} lines")
        print(f"XML ingest: {xml['seconds']:.2f} s (runs {xml['all']}) = {documents / xml['seconds']:,.0f} documents/s,"
              f" {xml['lines'] / xml['seconds']:,.0f} lines/s; peak {xml['rss']:.2f} GiB, each of its"
              f" {os.cpu_count()} worker processes {xml['workers_rss']:.2f} GiB at most; the process and its workers"
              f" together (sampled in a run of its own) {xml['tree']:.2f} GiB  [target: >= 2,000 documents/s, < 1 GiB]")
        zipped = results["xml-zip"]
        print(f"XML in one zip: {zipped['seconds']:.2f} s (runs {zipped['all']}) = {documents / zipped['seconds']:,.0f}"
              f" documents/s; zip / folder documents per second: {xml['seconds'] / zipped['seconds']:.2f}"
              "  [target: the folder's documents/s]")
        print(f"CSV ingest (baseline): {csv['seconds']:.2f} s (runs {csv['all']}) ="
              f" {csv['lines'] / csv['seconds']:,.0f} lines/s; peak {csv['rss']:.2f} GiB")
        ansi = results["cp1252"]
        print(f"CSV ingest, invoice lines in cp1252: {ansi['seconds']:.2f} s (runs {ansi['all']}) ="
              f" {ansi['lines'] / ansi['seconds']:,.0f} lines/s; peak {ansi['rss']:.2f} GiB")
        print(f"KMD table ingest: {kmd['seconds']:.2f} s (runs {kmd['all']}) = {kmd['lines'] / kmd['seconds']:,.0f}"
              f" lines/s; peak {kmd['rss']:.2f} GiB  [target: the CSV path's lines/s]")
        print(f"XML / CSV lines per second: {(xml['lines'] / xml['seconds']) / (csv['lines'] / csv['seconds']):.2f}")
        print(f"KMD / CSV lines per second: {(kmd['lines'] / kmd['seconds']) / (csv['lines'] / csv['seconds']):.2f}"
              f" (against the cp1252 CSV: {(kmd['lines'] / kmd['seconds']) / (ansi['lines'] / ansi['seconds']):.2f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
