"""Report build speed: `analysis build` against the three command-line tools run one after another.

Builds every default report on the synthetic municipality twice (the second, warm run counts), then
produces the same outputs with `papermill`, `jupyter nbconvert` and `weasyprint` called as separate
commands per notebook, checks that the PDFs hold the same text, and prints both times and the ratio.
Targets: build < 30 s on a warm machine; at least 2x faster than the command lines.

Run: .venv/bin/python benchmarks/bench_build.py [--db data/ehandel.duckdb]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from analysis.report.build import build_reports, discover_notebooks
from analysis.paths import DEFAULT_DATABASE, NOTEBOOK_DIR, TEMPLATE_DIR

BIN = Path(sys.executable).parent
PARAMETERS = {"report_date": "2026-11-23"}


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def command_lines(db: Path, out: Path) -> None:
    for notebook in discover_notebooks().values():
        executed = out / notebook.name
        subprocess.run([str(BIN / "papermill"), str(notebook), str(executed), "--cwd", str(NOTEBOOK_DIR),
                        "-p", "db_path", str(db), "-p", "report_date", PARAMETERS["report_date"],
                        "-p", "output_dir", str(out), "--no-progress-bar", "--log-level", "ERROR"],
                       check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--template", "briefing",
                        f"--TemplateExporter.extra_template_basedirs={TEMPLATE_DIR}", "--no-input",
                        "--HTMLExporter.exclude_output_prompt=True", "--TagRemovePreprocessor.enabled=True",
                        "--TagRemovePreprocessor.remove_cell_tags=notebook-only", str(executed)],
                       check=True, capture_output=True)
        subprocess.run([str(BIN / "weasyprint"), str(executed.with_suffix(".html")), str(executed.with_suffix(".pdf"))],
                       check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DATABASE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        reports = Path(work) / "reports"
        times = []
        for _ in range(2):
            start = time.perf_counter()
            build_reports(db_path=args.db, run="build", parameters=dict(PARAMETERS), reports_dir=reports)
            times.append(time.perf_counter() - start)
        cli = Path(work) / "cli"
        cli.mkdir()
        start = time.perf_counter()
        command_lines(args.db.resolve(), cli)
        cli_seconds = time.perf_counter() - start
        same = all(pdf_text(pdf) == pdf_text(cli / pdf.name) for pdf in (reports / "build").glob("*.pdf"))
    notebooks = len(discover_notebooks())
    print(f"reports: {notebooks} notebooks (PDF, HTML, executed notebook each)")
    print(f"analysis build, cold               {times[0]:7.1f} s")
    print(f"analysis build, warm               {times[1]:7.1f} s   target < 30 s")
    print(f"papermill + nbconvert + weasyprint {cli_seconds:7.1f} s")
    print(f"ratio command lines / build        {cli_seconds / times[1]:7.1f} x   target >= 2x")
    print(f"same PDF text either way           {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
