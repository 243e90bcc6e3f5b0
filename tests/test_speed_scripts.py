"""The benchmark scripts still run (reduced size): speed is measured there, not asserted here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("arguments, expected", [
    (["bench_penalty.py", "--scale", "0.2", "--loop-replicates", "2"], ["bootstrap"]),
    (["bench_scale.py", "--municipalities", "2", "--years", "2025-2025", "--scale", "0.2", "--repeat", "1"],
     ["longest steps (median run): checking and loading invoice_lines", "floor: the invoice Parquet"]),
    (["bench_xml.py", "--scale", "0.02", "--repeat", "1"], ["documents/s", "CSV ingest (baseline)", "KMD / CSV lines per second"]),
    (["bench_excel.py", "--scale", "0.02", "--lines", "500", "--repeat", "1"],
     ["CSV ingest (baseline): 500 invoice lines", ".xlsx ingest: 500 invoice lines", "xlsx / CSV lines per second"]),
    (["bench_classification.py", "--municipalities", "1", "--years", "2025-2025", "--scale", "0.1", "--repeat", "1"],
     ["classification / invoice step", "purchase lines by key: art"]),
    pytest.param(["bench_explorer.py", "--scale", "0.2", "--moves", "2", "--loads", "1"],
                 ["| first render, first visit (empty cache) |", "| exemptions |", "Voilà floor", "memory: server"],
                 marks=pytest.mark.skipif(not Path(shutil.which("chromium") or "/usr/bin/chromium").exists(),
                                          reason="Debian's chromium is not installed (.ci/run installs it)")),
])
def test_benchmark_runs_and_prints_its_figures(arguments: list[str], expected: list[str]) -> None:
    script, *rest = arguments
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / script), *rest],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "target" in result.stdout and "equal: False" not in result.stdout
    assert all(text in result.stdout for text in expected), result.stdout


def test_replicated_set_ingests_without_duplicates_and_keeps_the_rates(tmp_path) -> None:
    """benchmarks/replicate.py (the 300 m-line set): copies get new ids, so nothing is quarantined
    and every rate stays as it was, with twice the documents."""
    from analysis import db
    from analysis.ingest import ingest
    from analysis.synthetic.municipality import generate

    generate(tmp_path / "one", seed=3, years=(2025,), scale=0.1, municipalities=2, file_format="parquet")
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "replicate.py"), str(tmp_path / "one"),
                             str(tmp_path / "two"), "--copies", "2"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = {}
    for name in ("one", "two"):
        report = ingest(tmp_path / name, tmp_path / f"{name}.duckdb")
        assert report.rows_quarantined == 0
        con = db.connect(tmp_path / f"{name}.duckdb")
        figures[name] = con.execute("SELECT rate, count_rate, eligible_documents FROM municipality_period_rates"
                                    " WHERE period_type = 'year'").fetchone()
        figures[name + " lines"] = con.execute("SELECT count(*) FROM invoice_lines").fetchone()[0]
        con.close()
    assert figures["two lines"] == 2 * figures["one lines"]
    assert figures["two"][:2] == pytest.approx(figures["one"][:2])
    assert figures["two"][2] == 2 * figures["one"][2]
