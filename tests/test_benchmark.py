"""Benchmark figures, mandatory areas, agreement compliance and the savings case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import CVR, EANS, LINE_HEADER, ORDER_HEADER, UNIT_HEADER, danish, write_csv

from analysis.engines import compliance, rates
from analysis import db
from analysis.engines.benchmark import comparators, gap, load_benchmarks, target_rate
from analysis.errors import InputError, ParameterError
from analysis.ingest import ingest
from analysis.engines.savings import Assumptions, Position, savings, sensitivity

HEADER = ["Kommune", "Land", "År", "Mål", "Værdi", "Kilde", "URL", "Læst", "Note"]


def test_project_benchmarks_are_sourced() -> None:
    table = load_benchmarks()
    assert {"Landsplan (62 kommuner)", "Københavns Kommune", "Bornholms Regionskommune"} <= set(table["municipality"])
    national = table[table["municipality"] == "Landsplan (62 kommuner)"].set_index("measure")["rate"]
    assert national["andel_kr"] == pytest.approx(0.04) and national["andel_fakturaer"] == pytest.approx(0.10)
    assert table["url"].str.startswith("https://").all() and table["source"].str.len().gt(10).all()


def test_a_newer_file_drops_in_and_wins(tmp_path: Path) -> None:
    newer = write_csv(tmp_path / "kl_2026.csv", HEADER, [
        ["Københavns Kommune", "DK", 2021, "andel_kr", "55,5", "KL nøgletal 2026", "https://kl.dk/x", "01-10-2026", ""],
        ["Landsplan (98 kommuner)", "", 2025, "andel_fakturaer", "31", "KL nøgletal 2026", "https://kl.dk/x",
         "01-10-2026", ""]])
    table = load_benchmarks(newer)
    kk = table[(table["municipality"] == "Københavns Kommune") & (table["year"] == 2021)]
    assert kk["rate"].tolist() == [pytest.approx(0.555)] and kk["file"].tolist() == ["kl_2026.csv"]
    assert table.loc[table["municipality"] == "Landsplan (98 kommuner)", "country"].tolist() == ["DK"]


def test_malformed_benchmark_file_is_refused_with_every_problem(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", HEADER, [
        ["Aarhus Kommune", "DK", "to tusind", "andel_kr", "40", "Kilde", "https://x.dk", "01-01-2026", ""],
        ["Aarhus Kommune", "DK", 2024, "andel_kroner", "40", "Kilde", "https://x.dk", "01-01-2026", ""],
        ["Aarhus Kommune", "DK", 2024, "andel_kr", "140", "Kilde", "https://x.dk", "01-01-2026", ""],
        ["Aarhus Kommune", "DK", 2023, "andel_kr", "40", "", "https://x.dk", "01-01-2026", ""],
        ["Aarhus Kommune", "DK", 2022, "andel_kr", "40", "Kilde", "x.dk", "01-01-2026", ""]])
    with pytest.raises(InputError) as error:
        load_benchmarks(bad)
    assert str(error.value).splitlines() == [
        "bad.csv line 2, column 'År' 'to tusind': is not a whole number",
        "bad.csv line 3, column 'Mål' 'andel_kroner': is not one of andel_kr, andel_fakturaer",
        "bad.csv line 4, column 'Værdi' '140': is not a percentage from 0 to 100",
        "bad.csv line 5, column 'Kilde' '': is missing",
        "bad.csv line 6, column 'URL' 'x.dk': is not a web address (http or https)",
    ]
    missing = write_csv(tmp_path / "missing.csv", HEADER[:4], [["A", "DK", 2024, "andel_kr"]])
    with pytest.raises(InputError, match="missing.csv: line 1: missing required column"):
        load_benchmarks(missing)


def test_targets_comparators_and_gap() -> None:
    table = load_benchmarks()
    assert target_rate(table, "Københavns Kommune") == (pytest.approx(0.53), "Københavns Kommune 2021")
    assert target_rate(table, "45 %")[0] == pytest.approx(0.45) and target_rate(table, "0,4")[0] == pytest.approx(0.4)
    with pytest.raises(ParameterError, match="neither a rate nor a benchmark"):
        target_rate(table, "Atlantis")
    with pytest.raises(ParameterError, match="comparators: no benchmark figures for Atlantis"):
        comparators(table, ("Atlantis",))
    assert gap(0.3, 100e6, 0.53) == (pytest.approx(0.23), pytest.approx(23e6))
    assert gap(0.6, 100e6, 0.53)[1] == 0.0


def test_savings_by_hand() -> None:
    # 30 % of 100 mio. kr. e-handled over 50.000 invoices (15.000 e-handled); target 50 %: 20 points more
    # = 20 mio. kr. and 10.000 invoices moved; 10.000 x 62 = 620.000 kr.; price effect 1 % of 20 mio. = 200.000 kr.
    position = Position(rate=0.3, eligible_amount=100e6, eligible_documents=50_000, ehandel_documents=15_000)
    result = savings(position, 0.5, Assumptions(62, 0.01))
    assert result["moved_amount"] == pytest.approx(20e6) and result["more_invoices"] == pytest.approx(10_000)
    assert result["process_saving"] == pytest.approx(620_000) and result["price_saving"] == pytest.approx(200_000)
    assert result["total_saving"] == pytest.approx(820_000)
    assert result["current_process_saving"] == pytest.approx(930_000)
    assert savings(position, 0.2, Assumptions())["total_saving"] == 0
    table = sensitivity(position, {"50 %": 0.5, "KK": 0.53}, [40, 62], [0, 0.01])
    assert len(table) == 8 and table["total_saving"].max() == pytest.approx(0.23 * 50_000 * 62 + 0.23 * 100e6 * 0.01)
    with pytest.raises(ParameterError, match="price_effect"):
        Assumptions(price_effect=0.9)


def random_purchases(folder: Path, seed: int) -> pd.DataFrame:
    """Random invoice lines over mandatory and other categories, some on a binding agreement."""
    rng = np.random.default_rng(seed)
    folder.mkdir()
    write_csv(folder / "enheder.csv", UNIT_HEADER, [[e, f"Enhed {i}", "K", "S", f"I{i}", f"Enhed {i}", "skole", "1"]
                                                    for i, e in enumerate(EANS[:3])])
    codes = ["44121701", "50131701", "43211503", "56101504", "60141000", "47131800"]
    suppliers = ["16356706", "12345674", "87654321"]
    n = 200
    frame = pd.DataFrame({"invoice_no": [f"F{i}" for i in range(n)], "ean": rng.choice(EANS[:3], n),
                          "cvr": rng.choice(suppliers, n), "unspsc": rng.choice(codes, n),
                          "amount": np.round(rng.uniform(10, 5000, n), 2), "ehandel": rng.random(n) < 0.4,
                          "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")})
    write_csv(folder / "ordrer.csv", ORDER_HEADER, [[f"EH{r.invoice_no}", "01-01-2025", r.ean, r.cvr, "1,00"]
                                                   for r in frame[frame["ehandel"]].itertuples()])
    write_csv(folder / "fakturalinjer.csv", LINE_HEADER, [
        [r.invoice_no, 1, r.date.strftime("%d-%m-%Y"), r.ean, r.cvr, f"Lev {r.cvr}", r.unspsc, "x", danish(r.amount),
         f"EH{r.invoice_no}" if r.ehandel else "N/A", ""] for r in frame.itertuples()])
    write_csv(folder / "aftaler.csv", ["Kontraktnavn", "Leverandør CVR", "UNSPSC-præfiks", "Forpligtende", "Gyldig fra",
                                       "Gyldig til"],
              [["Kontor", CVR, "44", "ja", "01-01-2024", "30-06-2025"], ["Mad", "12345674", "50", "ja", "01-01-2024",
                                                                          "31-12-2026"],
               ["IT", "87654321", "43", "nej", "01-01-2024", "31-12-2026"]])
    return frame


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12])
def test_mandatory_areas_and_compliance_match_pandas(tmp_path: Path, seed: int) -> None:
    frame = random_purchases(tmp_path / "raw", seed)
    path = tmp_path / "db.duckdb"
    ingest(tmp_path / "raw", path)
    con = db.connect(path)
    first, last = rates.measurement_period(2025)
    areas = compliance.mandatory_areas(con, first, last).set_index("mandatory_area")
    area_of = {"44": "Kontorartikler", "50": "Fødevarer", "43": "Computere og IT", "56": "Møbler"}
    frame["area"] = frame["unspsc"].str[:2].map(area_of)
    expected = frame.dropna(subset=["area"]).groupby("area").apply(
        lambda g: pd.Series({"eligible_amount": g["amount"].sum(), "rate": g.loc[g["ehandel"], "amount"].sum()
                             / g["amount"].sum()}), include_groups=False)
    pd.testing.assert_frame_equal(areas[["eligible_amount", "rate"]].sort_index(), expected.sort_index(),
                                  check_names=False, atol=1e-6)

    # Binding agreements: office (44) with CVR 16356706 until 30-06-2025, food (50) with 12345674; IT is not binding.
    office = (frame["unspsc"].str[:2] == "44") & (frame["date"] <= "2025-06-30")
    food = frame["unspsc"].str[:2] == "50"
    covered = office | food
    on = (office & (frame["cvr"] == "16356706")) | (food & (frame["cvr"] == "12345674"))
    got = compliance.agreement_compliance(con, first, last, "unit").set_index("name").sort_index()
    names = dict(zip(EANS[:3], [f"Enhed {i}" for i in range(3)]))
    frame["name"] = frame["ean"].map(names)
    grouped = frame.assign(on=frame["amount"] * on, off=frame["amount"] * (covered & ~on)).groupby("name")
    assert got["agreement_amount"].to_numpy() == pytest.approx(grouped["on"].sum().sort_index().to_numpy())
    assert got["off_agreement_amount"].to_numpy() == pytest.approx(grouped["off"].sum().sort_index().to_numpy())
    missed = compliance.mandatory_missed(con, first, last, "supplier", top=2)
    assert len(missed) == 2 and missed["missed_amount"].is_monotonic_decreasing
    with pytest.raises(ParameterError, match="by: must be one of"):
        compliance.agreement_compliance(con, first, last, "u.name; DROP TABLE units")
    con.close()
