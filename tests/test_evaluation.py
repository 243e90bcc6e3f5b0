"""Did the penalty work: the estimators on known lines, and on a synthetic municipality with a known effect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import db
from analysis.engines import evaluation, rates
from analysis.engines.penalty import PenaltyParameters
from analysis.errors import ParameterError
from analysis.report import text

TRUE_EFFECT = 0.06


def lines(jump: float, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """40 units at distances -0.10..0.095 from the cut-off; the change is 0.02 - 0.3 × distance, plus
    ``jump`` for the cut units (distance at most 0)."""
    distance = np.round(np.arange(-0.10, 0.10, 0.005), 3)
    treated = distance <= 0
    change = 0.02 - 0.3 * distance + jump * treated + np.random.default_rng(seed).normal(0, noise, len(distance))
    return pd.DataFrame({"distance": distance, "treated": treated, "change": change})


def test_the_jump_at_the_cut_off_is_found_exactly_on_straight_lines() -> None:
    estimate = evaluation.regression_discontinuity(lines(0.05), bandwidth=0.05, replicates=200)
    assert estimate.effect == pytest.approx(0.05) and estimate.low == pytest.approx(0.05)
    assert (estimate.treated, estimate.control) == (11, 10) and estimate.excludes_zero
    did = evaluation.difference_in_differences(lines(0.05), replicates=200)
    # Over all units the slope adds to the jump: the cut units are the lowest, and the lowest rise most.
    assert did.effect == pytest.approx(0.05 + 0.3 * 0.10, abs=1e-9)  # mean distances -0.05 and +0.05
    noisy = evaluation.regression_discontinuity(lines(0.0, noise=0.01, seed=3), bandwidth=0.05, replicates=500)
    assert noisy.low < 0 < noisy.high and not noisy.excludes_zero


def test_too_few_units_near_the_cut_off_are_refused_and_bandwidths_need_three_a_side() -> None:
    with pytest.raises(ParameterError, match="2 cut and 1 other units within 0.005"):
        evaluation.regression_discontinuity(lines(0.05), bandwidth=0.005)
    assert evaluation.bandwidths(lines(0.05)) == [0.02, 0.03, 0.05, 0.08, 0.12]


def test_the_conclusion_is_said_in_danish_with_what_it_cannot_show() -> None:
    rd = evaluation.Estimate("rd", 0.012, -0.02, 0.044, 12, 14, 0.05)
    did = evaluation.Estimate("did", 0.03, 0.01, 0.05, 30, 120)
    sentence = text.evaluation(rd, did, "2024", "2025").replace("\u00a0", " ")
    assert ("steg de ramte enheders e-handelsprocent 1,2 procentpoint mere end de øvriges (95 %-interval -2,0 til 4,4"
            " procentpoint; 12 ramte og 14 øvrige enheder)") in sentence
    assert "Intervallet rummer nul, så tallene kan hverken vise, at sanktionen har virket, eller at den ikke har." \
        in sentence and "overvurderer virkningen" in sentence


@pytest.fixture(scope="module")
def known_effect(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic municipality at full size, whose 30 lowest units on 2024 raise their e-handel
    share by 6 points in 2025."""
    from analysis.ingest import ingest
    from analysis.synthetic.municipality import generate

    folder = tmp_path_factory.mktemp("effect")
    generate(folder / "raw", seed=11, years=(2023, 2024, 2025), penalty_effect=(2025, TRUE_EFFECT))
    ingest(folder / "raw", folder / "e.duckdb")
    return folder / "e.duckdb"


def estimates(database: Path, selection: int) -> tuple[evaluation.Estimate, evaluation.Estimate]:
    with db.connect(database) as con:
        before = rates.unit_rates_between(con, *rates.measurement_period(selection))
        after = rates.unit_rates_between(con, *rates.measurement_period(selection + 1))
    frame = evaluation.outcomes(before, after, PenaltyParameters(key="equal"))
    _, rd, did = evaluation.evaluate(frame, replicates=1000, seed=2026)
    return rd, did


@pytest.mark.slow
def test_the_evaluation_recovers_a_known_effect_and_finds_none_before_it(known_effect: Path) -> None:
    rd, did = estimates(known_effect, 2024)  # selected on 2024, the effect in 2025
    assert rd.low <= TRUE_EFFECT <= rd.high and rd.excludes_zero, rd
    assert did.low <= TRUE_EFFECT <= did.high, did
    placebo_rd, placebo_did = estimates(known_effect, 2023)  # no penalty from 2023 to 2024
    assert placebo_rd.low <= 0 <= placebo_rd.high and placebo_did.low <= 0 <= placebo_did.high


@pytest.mark.slow
def test_the_synthetic_effect_changes_nothing_but_the_selected_units_in_its_year(tmp_path: Path) -> None:
    from analysis.synthetic.municipality import generate

    generate(tmp_path / "plain", seed=5, years=(2024, 2025), scale=0.2)
    generate(tmp_path / "effect", seed=5, years=(2024, 2025), scale=0.2, penalty_effect=(2025, 0.05))
    for name in ("enheder.csv", "fakturalinjer_2024.csv", "ordrer_2024.csv"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "effect" / name).read_bytes(), name
    assert (tmp_path / "plain" / "ordrer_2025.csv").read_bytes() != (tmp_path / "effect" / "ordrer_2025.csv").read_bytes()
    with pytest.raises(ValueError, match="penalty_effect"):
        generate(tmp_path / "x", years=(2025,), scale=0.1, penalty_effect=(2025, 0.05))
