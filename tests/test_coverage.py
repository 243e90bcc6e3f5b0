"""Classification coverage, the rate's range, the stop-or-flag rule and order matching (issue #16),
on handmade rows, on random ones (hypothesis) and on the synthetic municipality in real-like mode."""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from helpers import CVR, EANS, examples, minimal_raw
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.engines import coverage, rates
from analysis import params
from analysis.engines.coverage import Coverage, check_ranking, coverage_between
from analysis.errors import ParameterError
from analysis.ingest import ingest
from analysis.paths import REFERENCE_DIR
from analysis.synthetic.municipality import generate

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def rows(*items: tuple[str, bool | None, bool, float]) -> pd.DataFrame:
    """(rule, eligible, is_ehandel, amount) rows of one unit, as coverage_between gives them."""
    return pd.DataFrame([{"ean": EANS[0], "rule": rule, "eligible": eligible, "is_ehandel": ehandel,
                          "amount": float(amount), "lines": 1} for rule, eligible, ehandel, amount in items])


def test_the_trap_is_caught_a_rate_on_classified_lines_only_with_its_range_and_a_warning() -> None:
    """Catalogue lines carry UNSPSC, the rest none: the reported rate is 100 %, the range says 25-100 %."""
    found = Coverage("2025", rows(("unspsc", True, True, 300), ("uklassificeret", None, False, 900)))
    assert found.rate == 1.0 and found.rate_if_eligible == 0.25 and found.rate_range == (0.25, 1.0)
    assert found.unclassified_share == 0.75
    assert (found.ehandel_coverage, found.other_coverage) == (1.0, 0.0)
    assert "sandsynligvis for høj" in found.bias_warning()
    assert "mellem 25,0\u00a0% og 100,0\u00a0%" in found.range_sentence()
    with pytest.raises(ParameterError, match="75.0 % of the spend in 2025.*unclassified_reason"):
        check_ranking(found, 0.10, "")
    assert "»Kun kataloglinjer har UNSPSC«" in check_ranking(found, 0.10, "Kun kataloglinjer har UNSPSC")


def test_full_coverage_has_no_range_no_warning_and_ranks() -> None:
    found = Coverage("2025", rows(("unspsc", True, True, 300), ("art", True, False, 600), ("art", False, False, 100)))
    assert found.unclassified == 0 and found.rate == found.rate_if_eligible == 1 / 3
    assert found.range_sentence() is None and found.bias_warning() is None
    assert check_ranking(found, 0.10, "") is None
    table = found.by_rule()
    assert list(table["rule"]) == ["unspsc", "art"] and list(table["amount"]) == [300.0, 700.0]
    assert "UNSPSC 30,0\u00a0%, art 70,0\u00a0%" in found.summary()


def test_a_small_gap_in_coverage_is_no_warning_and_an_unclassified_share_at_the_limit_ranks() -> None:
    found = Coverage("2025", rows(("unspsc", True, True, 450), ("uklassificeret", None, True, 50),
                                  ("unspsc", True, False, 450), ("uklassificeret", None, False, 50)))
    assert found.gap == 0 and found.bias_warning() is None
    assert check_ranking(found, 0.10, "") is None  # exactly 10 % is not more than the limit


def test_no_spend_no_shares() -> None:
    found = Coverage("2025", rows(("uklassificeret", None, False, 0)))
    assert math.isnan(found.unclassified_share) and check_ranking(found, 0.1, "") is None


line = st.tuples(st.sampled_from([*coverage.RULES, coverage.UNCLASSIFIED]), st.booleans(), st.booleans(),
                 st.integers(1, 10**6))


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(line, min_size=1, max_size=30), st.lists(st.tuples(st.booleans(), st.integers(1, 10**6)), max_size=5))
def test_unclassified_lines_never_change_the_classified_rate_and_every_rate_is_a_share(
        classified: list[tuple], unclassified: list[tuple]) -> None:
    def frame(items: list[tuple]) -> pd.DataFrame:
        return rows(*[(rule, None if rule == coverage.UNCLASSIFIED else eligible, ehandel, amount)
                      for rule, eligible, ehandel, amount in items])

    before = Coverage("2025", frame(classified))
    after = Coverage("2025", frame(classified + [(coverage.UNCLASSIFIED, None, e, a) for e, a in unclassified]))
    assert before.rate == after.rate or (math.isnan(before.rate) and math.isnan(after.rate))
    for value in (after.rate, after.rate_if_eligible, after.unclassified_share):
        assert math.isnan(value) or 0 <= value <= 1
    low, high = after.rate_range
    assert math.isnan(low) or low <= after.rate <= high


@pytest.mark.slow
@settings(max_examples=8, deadline=None)
@given(st.permutations(list(range(9))))
def test_the_order_of_the_rules_in_the_file_changes_nothing(tmp_path_factory: pytest.TempPathFactory,
                                                            order: list[int]) -> None:
    """Within a key the longest matching value wins whatever the file's order (art 2.2 before 2, say)."""
    raw = minimal_raw(tmp_path_factory.mktemp("raw"), lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Engros", "", "Juletræ", "100,00", "", ""],
        ["F2", 1, "10-01-2025", EANS[0], CVR, "Engros", "", "Træbord", "200,00", "", ""]])
    header, *rules = (REFERENCE_DIR / "egnethed.csv").read_text(encoding="utf-8").splitlines()
    rules = [*rules[:7], "tekst;juletræ;ja;Planter og grønne områder;test", "tekst;træ;nej;Træ;test"]
    (raw / "egnethed.csv").write_text("\n".join([header, *(rules[i] for i in order)]) + "\n", encoding="utf-8")
    db = raw.parent / "e.duckdb"
    ingest(raw, db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT document_no, category FROM purchases ORDER BY 1").fetchall() == [
            ("F1", "Planter og grønne områder"), ("F2", "Træ")]


# --- the synthetic municipality as real exports have it ------------------------------------------------


@pytest.fixture(scope="module")
def real_like(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same purchases written fully classified (the truth) and real-like; ingested with the
    default rules, with UNSPSC alone (no art rules), and with order numbers matched alone."""
    base = tmp_path_factory.mktemp("real_like")
    truth, real = base / "truth", base / "real"
    generate(truth, seed=11, years=(2025,), scale=0.3)
    generate(real, seed=11, years=(2025,), scale=0.3, real_like=True)
    unspsc_only = base / "unspsc_only"
    shutil.copytree(real, unspsc_only)
    rules = (REFERENCE_DIR / "egnethed.csv").read_text(encoding="utf-8").splitlines()
    (unspsc_only / "egnethed.csv").write_text("\n".join(r for r in rules if not r.startswith("art;")) + "\n",
                                              encoding="utf-8")
    databases = {}
    for name, raw, match in (("truth", truth, "both"), ("real", real, "both"), ("unspsc_only", unspsc_only, "both"),
                             ("number_only", real, "number")):
        databases[name] = base / f"{name}.duckdb"
        ingest(raw, databases[name], order_match=match)
    return databases


def municipal_rate(db: Path) -> float:
    with duckdb.connect(str(db), read_only=True) as con:
        return float(con.execute("SELECT rate FROM municipality_period_rates WHERE period = '2025'").fetchone()[0])


@pytest.mark.slow
def test_real_like_data_with_the_art_rules_gives_the_fully_classified_rate(real_like: dict[str, Path]) -> None:
    truth, real = municipal_rate(real_like["truth"]), municipal_rate(real_like["real"])
    assert abs(real - truth) < 0.005, (real, truth)
    with duckdb.connect(str(real_like["real"]), read_only=True) as con:
        found = coverage_between(con, *YEAR, "2025")
    assert found.unclassified == 0 and found.bias_warning() is None
    assert set(found.by_rule()["rule"]) == {"unspsc", "art"}


@pytest.mark.slow
def test_real_like_data_with_unspsc_alone_is_flagged_and_not_ranked(real_like: dict[str, Path]) -> None:
    db = real_like["unspsc_only"]
    assert municipal_rate(db) > municipal_rate(real_like["truth"]) + 0.3  # the inflated rate
    with duckdb.connect(str(db), read_only=True) as con:
        found = coverage_between(con, *YEAR, "2025")
    assert found.unclassified_share > 0.5 and found.gap > 0.5
    assert "Advarsel om skæv klassifikation" in found.bias_warning()
    low, high = found.rate_range
    assert low < municipal_rate(real_like["truth"]) < high
    with pytest.raises(ParameterError, match="unclassified_reason"):
        params.penalty(db_path=str(db))
    with pytest.raises(ParameterError, match="unclassified_reason"):
        params.ehandel_status(db_path=str(db))
    params.benchmark(db_path=str(db))  # ranks no units: shows the coverage, refuses nothing
    # (without art rules the budget file gives no goods budgets either: another key)
    resolved = params.penalty(db_path=str(db), key="eligible", unclassified_reason="Kun kataloglinjer har UNSPSC")
    assert "»Kun kataloglinjer har UNSPSC«" in resolved.ranking_note


@pytest.mark.slow
def test_orders_are_matched_on_buyer_and_supplier_and_cross_matches_listed(real_like: dict[str, Path]) -> None:
    """Invoices quoting another buyer's or supplier's order number are not e-handel, and are listed;
    matched on the number alone they would inflate the rate."""
    truth = municipal_rate(real_like["truth"])
    assert municipal_rate(real_like["number_only"]) > truth + 0.02
    with duckdb.connect(str(real_like["real"]), read_only=True) as con:
        listed, amount = con.execute("SELECT count(*), sum(amount) FROM order_cross_matches").fetchone()
        not_ehandel = con.execute("""
            SELECT count(DISTINCT invoice_no) FROM invoice_lines l JOIN order_cross_matches c USING (invoice_no)
            WHERE l.is_ehandel""").fetchone()[0]
        assert con.execute("SELECT value FROM meta WHERE key = 'order_match'").fetchone() == ("both",)
    assert listed > 50 and amount > 0 and not_ehandel == 0
    with duckdb.connect(str(real_like["number_only"]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM order_cross_matches").fetchone() == (0,)


def test_an_unknown_order_matching_rule_is_refused(tmp_path: Path) -> None:
    from analysis.errors import InputError

    with pytest.raises(InputError, match="order matching: 'ean' is not one of both, buyer, supplier, number"):
        ingest(minimal_raw(tmp_path / "raw"), tmp_path / "e.duckdb", order_match="ean")


def test_an_invoice_quoting_an_order_of_another_buyer_is_not_ehandel(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor", "44121701", "Kuglepenne", "100,00", "EH-1", ""],
        ["F2", 1, "10-01-2025", EANS[1], CVR, "Kontor", "44121701", "Kuglepenne", "300,00", "EH-1", ""]])
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT invoice_no, is_ehandel FROM invoice_lines ORDER BY 1").fetchall() == [
            ("F1", True), ("F2", False)]
        assert con.execute("SELECT invoice_no, mismatch FROM order_cross_matches").fetchall() == [("F2", "anden køber")]
    assert any("1 invoice line(s) on 1 invoice(s), 300.00 kr." in w for w in report.warnings)


# --- goods budgets from a budget file by cost centre and art -------------------------------------------


@pytest.mark.slow
def test_budgets_by_cost_centre_and_art_give_every_unit_its_goods_budget_and_the_same_penalty(
        real_like: dict[str, Path]) -> None:
    """The real-like set has no Varebudget: its budget file (arts 2.2/2.7/2.9 and 4.9, one cost centre
    shared half and half by two units) gives each unit the truth's budget to the krone, and the same cuts."""
    from analysis.engines.penalty import simulate

    budgets = {}
    for name in ("truth", "real"):
        with duckdb.connect(str(real_like[name]), read_only=True) as con:
            budgets[name] = dict(con.execute("SELECT ean, goods_budget FROM units").fetchall())
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        assert meta["budget_source"] == ("enhedsfil" if name == "truth" else "budgetfil")
    assert budgets["real"] == budgets["truth"]
    with duckdb.connect(str(real_like["real"]), read_only=True) as con:
        items = dict(con.execute("SELECT item, amount FROM budget_reconciliation").fetchall())
        read = con.execute("SELECT amount_read FROM ingest_files WHERE kind = 'budgets'").fetchone()[0]
    assert sum(items.values()) == read and set(items) == {"varebudget til enhederne", "ikke varekøb (art)"}
    cuts = {}
    for name in ("truth", "real"):
        resolved = params.penalty(db_path=str(real_like[name]))
        with duckdb.connect(str(real_like[name]), read_only=True) as con:
            units = rates.unit_rates_between(con, resolved.first_day, resolved.last_day)
        cuts[name] = simulate(units, resolved.parameters).selected.set_index("ean")["cut"]
    assert cuts["real"].equals(cuts["truth"]) and cuts["real"].sum() == 1_500_000


JANUARY = {"period_start": "2025-01-01", "period_end": "2025-01-31"}  # the months minimal_raw's data cover


@pytest.mark.slow
def test_without_goods_budgets_the_budget_key_is_refused_naming_the_ways_out(tmp_path: Path) -> None:
    from helpers import UNIT_HEADER, unit_row, write_csv

    raw = minimal_raw(tmp_path / "raw")
    header = [h for h in UNIT_HEADER if h != "Varebudget"]
    write_csv(raw / "enheder.csv", header, [unit_row(EANS[0], "Den Lille Skole")[:-1], unit_row(EANS[1], "Rådhuset")[:-1]])
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    assert any("no goods budgets" in w for w in report.warnings)
    with pytest.raises(ParameterError, match="key budget: 1 of the 1 selected units have no goods budget.*budgetter.*"
                                             "key eligible, missed or equal.*budget_basis spend"):
        params.penalty(db_path=str(db), n=1, **JANUARY)
    resolved = params.penalty(db_path=str(db), n=1, budget_basis="spend", **JANUARY)
    described = resolved.parameters.describe()
    assert described["Fordelingsnøgle"] == "varebudget (afledt af e-handelsegnet forbrug)"
    assert "afledt" in described["Varebudget"]
    assert params.penalty(db_path=str(db), n=1, key="eligible", **JANUARY).parameters.key == "eligible"


@pytest.mark.parametrize(("crosswalk", "message"), [
    ([["C1", EANS[0], "0,6"], ["C1", EANS[1], "0,6"]], "must all be given and add up to 1.*C1 \\(they add up to 1.20\\)"),
    ([["C1", EANS[0], "0,5"], ["C1", EANS[1], ""]], "C1 \\(some blank, some given\\)"),
    (None, "budgetter \\(budgetter…\\) without omkostningssteder"),
])
@pytest.mark.slow
def test_a_budget_file_needs_a_crosswalk_whose_shares_add_up(tmp_path: Path, crosswalk: list | None,
                                                            message: str) -> None:
    from helpers import write_csv

    from analysis.errors import InputError

    raw = minimal_raw(tmp_path / "raw")
    write_csv(raw / "budgetter.csv", ["Omkostningssted", "Art", "Budget"], [["C1", "2.9", "100.000,00"]])
    if crosswalk is not None:
        write_csv(raw / "omkostningssteder.csv", ["Omkostningssted", "EAN-nummer", "Andel"], crosswalk)
    with pytest.raises(InputError, match=message):
        ingest(raw, tmp_path / "e.duckdb")
    assert not (tmp_path / "e.duckdb").exists()


def test_budget_rows_on_unknown_cost_centres_or_arts_without_a_rule_are_reconciled_not_lost(tmp_path: Path) -> None:
    from helpers import write_csv

    raw = minimal_raw(tmp_path / "raw")
    write_csv(raw / "budgetter.csv", ["Omkostningssted", "Art", "Budget"], [
        ["C1", "2.2", "60.000,00"], ["C1", "4.5", "10.000,00"], ["C1", "8.1", "1.000,00"], ["C9", "2.9", "5.000,00"]])
    write_csv(raw / "omkostningssteder.csv", ["Omkostningssted", "EAN-nummer", "Andel"],
              [["C1", EANS[0], "0,75"], ["C1", EANS[1], "0,25"]])
    db = tmp_path / "e.duckdb"
    report = ingest(raw, db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT ean, goods_budget::DOUBLE FROM units ORDER BY ean").fetchall() == sorted(
            [(EANS[0], 45_000.0), (EANS[1], 15_000.0)])
        assert dict(con.execute("SELECT item, amount::DOUBLE FROM budget_reconciliation").fetchall()) == {
            "varebudget til enhederne": 60_000.0, "ikke varekøb (art)": 10_000.0,
            "art uden regel i egnethed.csv": 1_000.0, "omkostningssted uden enhed": 5_000.0}
    assert any("the budget file replaces the units file's Varebudget of 2 unit(s)" in w for w in report.warnings)
    assert any("5,000.00 kr., not in any goods budget: omkostningssted uden enhed" in w for w in report.warnings)


def test_a_database_with_nothing_classified_says_so_when_no_rate_can_be_given(tmp_path: Path) -> None:
    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "", "Kuglepenne", "1.000,00", "EH-1", ""]])
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    with pytest.raises(ParameterError, match="no e-handel eligible purchases: 100% of its spend \\(1,000.00 kr.\\) is"
                                             " classified by no eligibility rule; add rules to egnethed.csv"):
        params.ehandel_status(db_path=str(db))
