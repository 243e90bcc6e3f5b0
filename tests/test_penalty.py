"""The penalty engine: hand-computed cases, properties, bootstrap, projection and errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import db
from analysis.engines import rates
from helpers import examples
from analysis.errors import ParameterError
from analysis.engines.penalty import (
    MAX_AMOUNT,
    STATUS_ABOVE_THRESHOLD,
    STATUS_BELOW_MINIMUM,
    STATUS_EXEMPT,
    STATUS_NO_SPEND,
    STATUS_SELECTED,
    PenaltyParameters,
    Response,
    allocate,
    budget_caps,
    compare,
    project,
    ratchet_alternatives,
    repeat_selection,
    replicate_rates,
    selection_probability,
    simulate,
)


def five_units() -> pd.DataFrame:
    """Rates 0 %, 10 %, 30 %, 50 %, 90 %; missed spend 10, 18, 21, 20 and 5 thousand kr."""
    eligible = np.array([10_000, 20_000, 30_000, 40_000, 50_000], float)
    ehandel = np.array([0, 2_000, 9_000, 20_000, 45_000], float)
    return pd.DataFrame({
        "ean": list("ABCDE"), "name": [f"Enhed {c}" for c in "ABCDE"], "unit_type": ["skole"] * 4 + ["botilbud"],
        "goods_budget": [100_000.0, 200_000.0, 300_000.0, 400_000.0, 500_000.0],
        "eligible_amount": eligible, "ehandel_amount": ehandel, "missed_amount": eligible - ehandel,
        "rate": ehandel / eligible, "count_rate": ehandel / eligible,
    })


def cuts(result) -> dict[str, int]:
    return {row.ean: int(row.cut) for row in result.table.itertuples() if row.cut}


@pytest.mark.parametrize(("key", "expected"), [
    ("budget", {"A": 167, "B": 333, "C": 500}),  # 1000 x 1/6, 2/6, 3/6; A has the largest remainder
    ("eligible", {"A": 167, "B": 333, "C": 500}),  # eligible spend has the same proportions here
    ("missed", {"A": 204, "B": 367, "C": 429}),  # 1000 x 10/49, 18/49, 21/49 = 204.08, 367.35, 428.57
    ("equal", {"A": 334, "B": 333, "C": 333}),  # remainders tie: the lowest rate gets the krone
])
def test_each_key_by_hand(key: str, expected: dict[str, int]) -> None:
    result = simulate(five_units(), PenaltyParameters(n=3, amount=1000, key=key))
    assert cuts(result) == expected
    assert result.cutoff_rate == pytest.approx(0.3)


def test_cap_redistributes_excess_by_hand() -> None:
    # Caps 0,2 % of budget = 200, 400, 600. A's 204,08 is capped at 200; the other 800 kr. go to B and C
    # as 18:21 = 369,23 and 430,77, rounded to 369 and 431.
    result = simulate(five_units(), PenaltyParameters(n=3, amount=1000, key="missed", cap=0.002))
    assert cuts(result) == {"A": 200, "B": 369, "C": 431}
    assert result.table.set_index("ean").loc["A", "capped"]
    assert result.table.set_index("ean").loc["B", "cut_share_of_budget"] == pytest.approx(369 / 200_000)


def test_exemptions_minimum_and_statuses() -> None:
    units = five_units()
    units.loc[len(units)] = ["F", "Tom", "skole", 50_000.0, 0.0, 0.0, 0.0, np.nan, np.nan]
    result = simulate(units, PenaltyParameters(n=2, amount=100, min_spend=15_000, exempt_eans=("B",),
                                               exempt_types=("botilbud",)))
    status = result.table.set_index("ean")["status"].to_dict()
    assert status == {"A": STATUS_BELOW_MINIMUM, "B": STATUS_EXEMPT, "C": STATUS_SELECTED, "D": STATUS_SELECTED,
                      "E": STATUS_EXEMPT, "F": STATUS_NO_SPEND}
    assert cuts(result) == {"C": 43, "D": 57}  # 100 x 300/700 and 400/700


def test_ties_at_the_cutoff_are_ordered_by_missed_spend_then_ean_and_flagged() -> None:
    units = five_units()
    units.loc[len(units)] = ["G", "G", "skole", 100_000.0, 8_000.0, 0.0, 8_000.0, 0.0, 0.0]
    units.loc[len(units)] = ["H", "H", "skole", 100_000.0, 8_000.0, 0.0, 8_000.0, 0.0, 0.0]
    result = simulate(units, PenaltyParameters(n=2, amount=100))
    ranks = result.table.set_index("ean")["rank"]
    assert (ranks["A"], ranks["G"], ranks["H"]) == (1, 2, 3)  # A: 10.000 kr. missed; G before H by EAN
    assert result.tied_at_cutoff == ["A", "G", "H"]


def test_count_basis_ranks_on_invoice_share() -> None:
    units = five_units()
    units["count_rate"] = [0.9, 0.8, 0.1, 0.2, 0.0]
    result = simulate(units, PenaltyParameters(n=2, amount=10, key="equal", basis="count"))
    assert cuts(result) == {"E": 5, "C": 5}


@pytest.mark.parametrize(("parameters", "message"), [
    (dict(n=0), "n: the number of units to cut must be a whole number of at least 1"),
    (dict(amount=0), "amount: must be a whole number of kroner from 1"),
    (dict(amount=-5), "amount: must be a whole number of kroner from 1"),
    (dict(key="budgetandel"), "key: must be one of budget, eligible, missed, equal"),
    (dict(cap=0), "cap: must be a share"),
    (dict(min_spend=-1.0), "min_spend"),
])
def test_impossible_parameters_are_refused(parameters: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        PenaltyParameters(**parameters)


def test_impossible_combinations_are_refused() -> None:
    with pytest.raises(ParameterError, match="^n: 6 units to cut, but only 5 units can be ranked$"):
        simulate(five_units(), PenaltyParameters(n=6))
    with pytest.raises(ParameterError, match="the cap is too small"):
        simulate(five_units(), PenaltyParameters(n=3, amount=1000, cap=0.001))
    empty = five_units().assign(eligible_amount=0.0, rate=np.nan)
    with pytest.raises(ParameterError, match="no unit can be ranked"):
        simulate(empty, PenaltyParameters(n=1))


def test_an_exemption_that_matches_no_unit_is_refused_and_types_match_whatever_their_case() -> None:
    units = five_units()
    spared = simulate(units, PenaltyParameters(n=2, amount=100, exempt_types=(" Botilbud",)))
    assert spared.table.set_index("ean").loc["E", "status"] == STATUS_EXEMPT
    with pytest.raises(ParameterError, match=r"no unit has the type 'botilbuld' \(did you mean botilbud\?\);"
                                             r" the types are botilbud, skole"):
        simulate(units, PenaltyParameters(n=2, amount=100, exempt_types=("botilbuld",)))
    with pytest.raises(ParameterError, match="exempt_eans: 5798000000000 is no unit's EAN in the database"):
        simulate(units, PenaltyParameters(n=2, amount=100, exempt_eans=("5798000000000",)))


@st.composite
def municipalities(draw):
    size = draw(st.integers(2, 30))
    eligible = np.array(draw(st.lists(st.floats(1, 1e7), min_size=size, max_size=size)))
    share = np.array(draw(st.lists(st.floats(0, 1), min_size=size, max_size=size)))
    budget = np.array(draw(st.lists(st.floats(1e3, 1e8), min_size=size, max_size=size)))
    types = draw(st.lists(st.sampled_from(["skole", "dagtilbud", "botilbud"]), min_size=size, max_size=size))
    ehandel = np.round(eligible * share, 2)
    units = pd.DataFrame({"ean": [f"{i:013d}" for i in range(size)], "name": [f"U{i}" for i in range(size)],
                          "unit_type": types, "goods_budget": budget, "eligible_amount": eligible,
                          "ehandel_amount": ehandel, "missed_amount": eligible - ehandel,
                          "rate": ehandel / eligible, "count_rate": share})
    exempt = tuple(draw(st.lists(st.sampled_from(list(units["ean"])), max_size=3)))
    parameters = PenaltyParameters(
        n=draw(st.integers(1, size)), amount=draw(st.integers(1, 10_000_000)),
        key=draw(st.sampled_from(["budget", "eligible", "missed", "equal"])),
        exempt_eans=exempt, exempt_types=tuple(draw(st.lists(st.sampled_from(sorted(set(types))), max_size=1))),
        cap=draw(st.one_of(st.none(), st.floats(0.001, 1))))
    return units, parameters


@settings(max_examples=examples(300), deadline=None)
@given(municipalities())
def test_properties_of_every_allocation(case) -> None:
    units, parameters = case
    try:
        result = simulate(units, parameters)
    except ParameterError as error:  # only the refusals the engine states
        assert any(text in str(error) for text in ("can be ranked", "cap is too small", "allocation key is zero"))
        return
    table = result.table
    assert table["cut"].sum() == parameters.amount
    assert (table["cut"] >= 0).all()
    assert (table.loc[table["status"] != STATUS_SELECTED, "cut"] == 0).all()
    if parameters.cap is not None:
        assert (table["cut"] <= np.floor(table["goods_budget"] * parameters.cap)).all()
    ranked = table[table["rank"].notna()]
    selected = ranked[ranked["status"] == STATUS_SELECTED]
    spared = ranked[ranked["status"] != STATUS_SELECTED]
    if len(selected) and len(spared):
        assert selected["rate"].max() <= spared["rate"].min()  # nobody lower is spared while a higher is cut


def test_allocate_is_exact_with_largest_remainder() -> None:
    assert allocate(np.array([1.0, 1.0, 1.0]), 100).tolist() == [34, 33, 33]
    assert allocate(np.array([1.0, 2.0]), 1).tolist() == [0, 1]
    assert allocate(np.array([1.0, 0.0, 3.0]), 7).tolist() == [2, 0, 5]


def units_of(documents: pd.DataFrame) -> pd.DataFrame:
    """Per-unit figures (as ``rates.unit_rates_between`` has them) summed from documents."""
    summary = documents.assign(e=documents["amount"] * documents["is_ehandel"]).groupby("ean").agg(
        eligible_amount=("amount", "sum"), ehandel_amount=("e", "sum")).reset_index()
    return summary.assign(name=summary["ean"], unit_type="skole", goods_budget=1e5,
                          missed_amount=summary["eligible_amount"] - summary["ehandel_amount"],
                          rate=summary["ehandel_amount"] / summary["eligible_amount"], count_rate=0.0)


def test_bootstrap_is_sure_of_clear_cases_and_reproducible() -> None:
    rng = np.random.default_rng(1)
    eans, docs = list("PQRS"), []
    for ean, share in zip(eans, [0.01, 0.45, 0.5, 0.99]):
        for i in range(200):
            docs.append({"ean": ean, "document_id": f"{ean}{i}", "amount": float(rng.integers(100, 1000)),
                         "is_ehandel": bool(rng.random() < share), "is_credit_note": False})
    documents = pd.DataFrame(docs)
    units = units_of(documents)
    p = PenaltyParameters(n=2, amount=1000)
    result = selection_probability(documents, units, p, replicates=1000, seed=5).set_index("ean")
    assert result.loc["P", "probability"] == 1.0 and result.loc["S", "probability"] == 0.0
    assert 0.2 < result.loc["Q", "probability"] < 0.95 and result.loc["Q", "uncertain"] in (True, False)
    assert result["probability"].sum() == pytest.approx(2.0)  # every replicate selects exactly N
    again = selection_probability(documents, units, p, replicates=1000, seed=5).set_index("ean")
    pd.testing.assert_frame_equal(result, again)
    # Drawn once for every unit and reused by any rule (the explorer): the same figures to the last
    # replicate, because each unit resamples from its own stream, whoever else is ranked.
    drawn = replicate_rates(documents, eans, "amount", replicates=1000, seed=5)
    reused = selection_probability(documents, units, p, replicates=1000, seed=5, rates=drawn).set_index("ean")
    pd.testing.assert_frame_equal(result, reused)
    without_p = replicate_rates(documents, ["Q", "R", "S"], "amount", replicates=1000, seed=5)
    pd.testing.assert_frame_equal(without_p, drawn[["Q", "R", "S"]])
    exempt = replace(p, exempt_eans=("S",))
    pd.testing.assert_frame_equal(selection_probability(documents, units, exempt, replicates=1000, seed=5),
                                  selection_probability(documents, units, exempt, replicates=1000, seed=5, rates=drawn))


def test_on_the_synthetic_municipality(small_db: Path) -> None:
    con = db.connect(small_db)
    first, last = rates.measurement_period(2025)
    units = rates.unit_rates_between(con, first, last)
    documents = rates.unit_documents_between(con, first, last)
    con.close()
    p = PenaltyParameters(n=5, amount=1_500_000)
    result = simulate(units, p)
    assert result.selected["cut"].sum() == 1_500_000 and len(result.selected) == 5
    probability = selection_probability(documents, units, p, replicates=200)
    assert probability.loc[probability["rank"] == 1, "probability"].iloc[0] > 0.5
    sensitivity, refused = compare(units, p, n=[3, 5, 7])
    assert list(sensitivity.columns) == [3, 5, 7] and (sensitivity.sum() == 1_500_000).all() and not refused
    five = result.selected["goods_budget"].sum()  # an amount the five can carry under a 90 % cap, one cannot
    _, refused = compare(units, PenaltyParameters(n=5, amount=int(0.5 * five), cap=0.9), n=[1, 5])
    assert list(refused) == [1] and "cap is too small" in refused[1]
    yearly, summary = project(units, p, Response(years=(2026, 2027), target_rate=0.8, gap_closure=0.5, drift=0.0))
    assert list(summary["year"]) == [2026, 2027] and (summary["amount"] == 1_500_000).all()
    assert summary["rate"].iloc[1] > summary["rate"].iloc[0]  # penalised units improve, nobody drifts down


def test_a_cap_is_the_exact_share_of_the_goods_budget() -> None:
    """`--n 1 --amount 14892 --cap 0.051` was refused: 292.000 x 0,051 in floating point is
    14.891,999… kr., floored to 14.891. Exactly it is 14.892 kr."""
    assert 292_000 * 0.051 < 14_892
    assert budget_caps(np.array([292_000.0, 100_000.0]), 0.051).tolist() == [14_892, 5_100]
    units = five_units().assign(goods_budget=[292_000.0, 1e6, 1e6, 1e6, 1e6])
    result = simulate(units, PenaltyParameters(n=1, amount=14_892, cap=0.051))
    assert cuts(result) == {"A": 14_892} and bool(result.table.loc[result.table["ean"] == "A", "capped"].iloc[0])
    with pytest.raises(ParameterError, match="at most 14892 kr."):
        simulate(units, PenaltyParameters(n=1, amount=14_893, cap=0.051))


def test_capped_allocation_agrees_with_a_hand_computation() -> None:
    """1.000 kr. over keys 10,01 / 20,02 / 30,03 / 0,07 kr. (sum 60,13) with caps 100, 300, 1.000 and
    1.000 kr.: units 0 and 1 are capped (166,47… > 100 and 332,93… > 300); the 600 kr. left go to
    units 2 and 3 as 600 x 30,03/30,10 = 598,60… and 600 x 0,07/30,10 = 1,39…; the floors sum to
    599 and the last krone goes to the larger remainder, unit 2."""
    assert allocate(np.array([10.01, 20.02, 30.03, 0.07]), 1000, np.array([100, 300, 1000, 1000])).tolist() == \
        [100, 300, 599, 1]


def test_an_amount_beyond_any_budget_is_refused() -> None:
    """`--amount 99999999999999999999` gave negative cuts and a wrong sum with exit 0."""
    with pytest.raises(ParameterError, match="from 1 to 1,000,000,000,000"):
        PenaltyParameters(amount=99_999_999_999_999_999_999)
    assert allocate(np.array([1.0, 2.0]), MAX_AMOUNT).sum() == MAX_AMOUNT


def test_tied_units_are_listed_in_the_ranking_order() -> None:
    units = five_units().assign(rate=[0.1, 0.1, 0.1, 0.5, 0.9], count_rate=[0.1, 0.1, 0.1, 0.5, 0.9],
                                missed_amount=[5.0, 9.0, 7.0, 1.0, 1.0])
    result = simulate(units, PenaltyParameters(n=2, amount=100))
    assert result.tied_at_cutoff == ["B", "C", "A"]  # larger missed spend first, as the rule says


def test_the_same_rule_on_the_year_before_shows_who_is_cut_again_although_they_improved() -> None:
    """The ratchet of a relative ranking: A and B improve, but stay the two lowest and are cut again."""
    now = five_units()
    before = now.assign(rate=[0.0, 0.05, 0.6, 0.02, 0.9], count_rate=[0.0, 0.05, 0.6, 0.02, 0.9])
    repeat = repeat_selection(before, now, PenaltyParameters(n=2, amount=1000))
    assert sorted(repeat.again["ean"]) == ["A"] and repeat.improved_again.empty  # A: 0 % then 0 %
    assert list(repeat.new["ean"]) == ["B"] and list(repeat.left["ean"]) == ["D"]
    before = now.assign(rate=[0.0, 0.0, 0.6, 0.7, 0.9], count_rate=[0.0, 0.0, 0.6, 0.7, 0.9])
    repeat = repeat_selection(before, now, PenaltyParameters(n=2, amount=1000))
    assert sorted(repeat.improved_again["ean"]) == ["B"]  # 0 % to 10 %, cut both years
    row = repeat.table.set_index("ean").loc["B"]
    assert (row["rate_before"], row["rate_now"]) == (0.0, 0.1) and row["cut_before"] > 0 and row["cut_now"] > 0


def test_alternatives_to_the_relative_rule_change_who_is_cut_again() -> None:
    """A and B improve a lot (to 10 % and 30 %: B stays among the two lowest under the proposal);
    a threshold of 20 % cuts only A; credit for improvement lifts B (30 % + 30 points) above C and
    D, so A (10 % + 10) and C are cut."""
    now = five_units()
    before = now.assign(rate=[0.0, 0.0, 0.4, 0.6, 0.9], count_rate=[0.0, 0.0, 0.4, 0.6, 0.9])
    now = now.assign(rate=[0.1, 0.3, 0.35, 0.5, 0.9], count_rate=[0.1, 0.3, 0.35, 0.5, 0.9])
    parameters = PenaltyParameters(n=2, amount=1000)
    repeat = repeat_selection(before, now, parameters)
    table = ratchet_alternatives(repeat, before, now, parameters, threshold=0.2).set_index("rule")
    proposal, threshold, credit = table.index
    assert table.loc[proposal, ["units", "again", "improved_again"]].tolist() == [2, 2, 2]  # A and B, both improved
    assert table.loc[threshold, ["units", "again", "improved_again"]].tolist() == [1, 1, 1]  # only A is below 20 %
    assert table.loc[credit, ["units", "again", "improved_again"]].tolist() == [2, 1, 1]  # A again, C new
    assert threshold == "Kun enheder under 20,0\u00a0%"


def test_a_threshold_cuts_only_units_below_it_and_n_becomes_a_maximum() -> None:
    """Rates 0, 10, 30, 50, 90 %: below 20 % are A and B, so two are cut although N is 3, and the
    amount falls on them; the units above are not 'not ranked' for want of figures."""
    result = simulate(five_units(), PenaltyParameters(n=3, amount=1000, key="equal", threshold=0.2))
    assert cuts(result) == {"A": 500, "B": 500} and result.cutoff_rate == pytest.approx(0.1)
    assert result.table.set_index("ean").loc[["C", "D", "E"], "status"].eq(STATUS_ABOVE_THRESHOLD).all()
    assert len(result.not_ranked) == 0
    assert cuts(simulate(five_units(), PenaltyParameters(n=1, amount=1000, threshold=0.2))) == {"A": 1000}
    with pytest.raises(ParameterError, match="below the threshold 5,0"):  # B to E: 10 % and more
        simulate(five_units().iloc[1:], PenaltyParameters(n=3, amount=1000, threshold=0.05))


def test_credit_for_improvement_ranks_on_the_rate_plus_its_rise() -> None:
    """B rose from 0 % to 10 %: with credit 3 it is ranked on 10 + 3 × 10 = 40 %, behind C (30 %,
    no rise); without credit it is second. A unit whose rate fell gets no credit, and none below 0."""
    units = five_units().assign(rate_before=[0.0, 0.0, 0.3, 0.6, 0.9])
    plain = simulate(units, PenaltyParameters(n=2, amount=1000, key="equal"))
    credited = simulate(units, PenaltyParameters(n=2, amount=1000, key="equal", credit=3.0))
    assert set(cuts(plain)) == {"A", "B"} and set(cuts(credited)) == {"A", "C"}
    ranking = credited.table.set_index("ean")
    assert ranking.loc["B", "ranking_rate"] == pytest.approx(0.4) and ranking.loc["B", "rank"] == 3
    assert ranking.loc["D", "ranking_rate"] == pytest.approx(0.5)  # fell from 60 %: its own rate
    assert cuts(simulate(units, PenaltyParameters(n=2, amount=1000, credit=0.0))) == cuts(
        simulate(five_units(), PenaltyParameters(n=2, amount=1000)))  # no credit: the proposal's rule
    with pytest.raises(ParameterError, match="credit: ranking with credit for improvement needs"):
        simulate(five_units(), PenaltyParameters(n=2, amount=1000, credit=1.0))


@pytest.mark.parametrize(("parameters", "message"), [
    ({"threshold": 0.0}, "threshold: must be a rate above 0"), ({"threshold": 1.5}, "threshold"),
    ({"credit": -1.0}, "credit: must be a number from 0 to 10"), ({"credit": float("nan")}, "credit")])
def test_rules_against_the_ratchet_are_checked(parameters: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        PenaltyParameters(**parameters)


def test_the_bootstrap_applies_the_threshold_in_every_replicate() -> None:
    docs = [{"ean": ean, "document_id": f"{ean}{i}", "amount": 500.0, "is_ehandel": i < round(share * 300),
             "is_credit_note": False}
            for ean, share in zip("PQRS", [0.05, 0.19, 0.21, 0.9]) for i in range(300)]
    documents = pd.DataFrame(docs)
    units = units_of(documents)
    result = selection_probability(documents, units, PenaltyParameters(n=3, amount=1000, threshold=0.2),
                                   replicates=500, seed=3).set_index("ean")
    assert result.loc["P", "probability"] == 1.0 and result.loc["S", "probability"] == 0.0
    # Q and R lie either side of 20 %: each is cut in the replicates where it falls below it.
    assert 0.1 < result.loc["Q", "probability"] < 1.0 and 0.0 < result.loc["R", "probability"] < 0.9
    assert set(result.index) == set("PQRS") and result["selected"].sum() == int((units["rate"] < 0.2).sum())


def test_the_projection_under_a_threshold_cuts_nobody_once_every_unit_has_passed_it() -> None:
    """Units respond, rise above 12 %, and the threshold rule then finds nobody to cut (the amount
    is not found that year), where the relative rule would cut N units every year."""
    response = Response(years=(2027, 2028, 2029, 2030), target_rate=0.6, gap_closure=0.5, drift=0.05)
    _, summary = project(five_units(), PenaltyParameters(n=2, amount=1000, key="equal", threshold=0.12), response)
    assert summary["units_cut"].tolist()[0] == 2 and summary["units_cut"].tolist()[-1] == 0
    assert summary.loc[summary["units_cut"] == 0, "amount"].eq(0).all()
    _, relative = project(five_units(), PenaltyParameters(n=2, amount=1000, key="equal"), response)
    assert relative["units_cut"].eq(2).all() and relative["amount"].eq(1000).all()
