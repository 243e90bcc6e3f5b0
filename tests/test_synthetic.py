"""The synthetic municipality: deterministic, HTK-sized, and shaped like real exports."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from analysis import db
from analysis.engines import rates
from analysis.synthetic.municipality import generate


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=3, years=(2025,), scale=0.05)
    generate(tmp_path / "b", seed=3, years=(2025,), scale=0.05)
    generate(tmp_path / "c", seed=4, years=(2025,), scale=0.05)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["fakturalinjer_2025.csv"] != digest(tmp_path / "c")["fakturalinjer_2025.csv"]


@pytest.fixture(scope="module")
def full_year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One year at full HTK size, ingested: the magnitudes the brief asks for."""
    from analysis.ingest import ingest

    raw = tmp_path_factory.mktemp("htk")
    generate(raw, seed=2026, years=(2025,))
    path = raw.parent / "htk.duckdb"
    ingest(raw, path)
    return path


@pytest.mark.slow
def test_magnitudes_like_hoeje_taastrup(full_year: Path) -> None:
    con = db.connect(full_year)
    units = con.execute("SELECT count(*), sum(goods_budget) FROM units").fetchone()
    assert 150 <= units[0] <= 250
    assert float(units[1]) == pytest.approx(116e6, rel=0.01)
    total = rates.municipality_rates(con).iloc[0]
    assert 100e6 < total["eligible_amount"] < 125e6
    assert 0.2 < total["rate"] < 0.4, "below mature municipalities (KK 53 %), near Bornholm (32 %)"
    unit_rates = rates.unit_rates(con, 2025)["rate"]
    assert unit_rates.min() < 0.05 and unit_rates.max() > 0.75, "rates spread from near 0 to high"
    levels = con.execute("SELECT count(DISTINCT level1), count(DISTINCT level2), count(DISTINCT level3) FROM units"
                         ).fetchone()
    assert levels[0] >= 5 and levels[1] >= 10 and levels[2] >= 100
    con.close()


@pytest.mark.slow
def test_small_purchases_credit_notes_and_seasonality(full_year: Path) -> None:
    con = duckdb.connect(str(full_year), read_only=True)
    under_250 = con.execute("""
        WITH docs AS (SELECT document_id, sum(amount) AS total FROM purchases WHERE NOT is_credit_note
                      GROUP BY document_id)
        SELECT avg((total < 250)::INTEGER) FROM docs""").fetchone()[0]
    assert 0.18 < under_250 < 0.35, "about a quarter of orders under 250 kr."
    credit = con.execute("SELECT count(DISTINCT invoice_no) FILTER (document_type = 'credit_note')"
                         " / count(DISTINCT invoice_no) FROM invoice_lines").fetchone()[0]
    assert 0.01 < credit < 0.1
    july, september = (con.execute("SELECT sum(amount)::DOUBLE FROM purchases WHERE month(purchase_date) = ?", [m]
                                   ).fetchone()[0] for m in (7, 9))
    assert july < 0.7 * september, "summer holiday dip"
    con.close()


@pytest.mark.slow
def test_identifiers_are_valid(full_year: Path) -> None:
    con = duckdb.connect(str(full_year), read_only=True)
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0  # every EAN, CVR and date valid
    assert con.execute("SELECT bool_and(ean LIKE '5798%' AND length(ean) = 13) FROM units").fetchone()[0]
    # every UNSPSC code the generator writes is one kategorier.csv classifies
    assert con.execute("SELECT count(*) FROM purchases WHERE unspsc IS NOT NULL"
                       " AND eligibility_rule IS DISTINCT FROM 'unspsc'").fetchone()[0] == 0
    con.close()
