"""Shared fixtures: a small synthetic municipality, generated and ingested once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.ingest import ingest
from analysis.synthetic.municipality import generate


@pytest.fixture(scope="session")
def small_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two years of a synthetic municipality at a tenth of HTK's size (fast, same shape)."""
    folder = tmp_path_factory.mktemp("raw")
    generate(folder, seed=7, years=(2024, 2025), scale=0.1)
    return folder


@pytest.fixture(scope="session")
def small_db(small_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "small.duckdb"
    ingest(small_raw, path)
    return path
