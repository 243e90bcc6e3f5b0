"""The benchmark scripts still run (reduced size): speed is measured there, not asserted here."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("arguments", [
    ["bench_penalty.py", "--scale", "0.2", "--loop-replicates", "2"],
    ["bench_scale.py", "--municipalities", "2", "--years", "2025-2025", "--scale", "0.2", "--repeat", "1"],
])
def test_benchmark_runs_and_prints_its_figures(arguments: list[str]) -> None:
    script, *rest = arguments
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / script), *rest],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "target" in result.stdout and "equal: False" not in result.stdout
