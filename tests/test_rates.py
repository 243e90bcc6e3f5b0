"""The rate views against an independent pandas computation on random data."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from helpers import CARD_HEADER, LINE_HEADER, ORDER_HEADER, UNIT_HEADER, danish, gln, write_csv

from analysis import db
from analysis.engines import rates
from analysis.errors import ParameterError
from analysis.ingest import ingest

ELIGIBLE = {"44121701": True, "50131701": True, "43211503": True, "80111600": False, "72101500": False, "": False}


def random_municipality(folder: Path, seed: int) -> dict[str, pd.DataFrame]:
    """Random units, invoices (some credit notes, some e-handel), orders and card purchases."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    eans = [gln(f"5798{seed:04d}{i:04d}") for i in range(8)]
    units = pd.DataFrame({"ean": eans, "level2": rng.choice(["Skoler", "Dagtilbud", "Rådhus"], 8),
                          "budget": rng.integers(10_000, 500_000, 8)})
    write_csv(folder / "enheder.csv", UNIT_HEADER,
              [[u.ean, f"Enhed {i}", "Kommune", u.level2, f"Inst {i}", f"Enhed {i}", "skole", danish(u.budget)]
               for i, u in enumerate(units.itertuples())])
    n_docs = 120
    docs = pd.DataFrame({
        "invoice_no": [f"F{i}" for i in range(n_docs)],
        "cvr": rng.choice(["16356706", "12345674"], n_docs),
        "ean": rng.choice(eans, n_docs),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n_docs), unit="D"),
        "ehandel": rng.random(n_docs) < 0.4,
    })
    docs["order_ref"] = np.where(docs["ehandel"], "EH-" + docs["invoice_no"], rng.choice(["N/A", "", "Mail"], n_docs))
    orders = docs[docs["ehandel"]]
    write_csv(folder / "ordrer.csv", ORDER_HEADER,
              [[o.order_ref, o.date.strftime("%d-%m-%Y"), o.ean, o.cvr, "1,00"] for o in orders.itertuples()])
    lines = docs.loc[docs.index.repeat(rng.integers(1, 4, n_docs))].reset_index(drop=True)
    lines["line_no"] = lines.groupby("invoice_no").cumcount() + 1
    lines["unspsc"] = rng.choice(list(ELIGIBLE), len(lines))
    lines["amount"] = np.round(rng.normal(800, 600, len(lines)), 2)  # some negative: credit-note-like documents
    write_csv(folder / "fakturalinjer.csv", LINE_HEADER,
              [[r.invoice_no, r.line_no, r.date.strftime("%d-%m-%Y"), r.ean, r.cvr, "Lev", r.unspsc, "x",
                danish(r.amount), r.order_ref, ""] for r in lines.itertuples()])
    cards = pd.DataFrame({"id": [f"K{i}" for i in range(40)], "ean": rng.choice(eans, 40),
                          "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, 40), unit="D"),
                          "unspsc": rng.choice(list(ELIGIBLE), 40),
                          "amount": np.round(rng.gamma(2, 100, 40) * rng.choice([1, 1, 1, -1], 40), 2)})  # refunds
    write_csv(folder / "kort.csv", CARD_HEADER,
              [[c.id, c.date.strftime("%d-%m-%Y"), c.ean, "Butik", c.unspsc, danish(c.amount), "Navn"]
               for c in cards.itertuples()], encoding="cp1252")
    return {"units": units, "lines": lines, "cards": cards}


def expected_unit_rates(data: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    lines = data["lines"].copy()
    lines["credit"] = lines.groupby(["cvr", "invoice_no"])["amount"].transform("sum") < 0
    lines["doc"] = lines["cvr"] + "/" + lines["invoice_no"]
    cards = data["cards"].rename(columns={"id": "doc"}).assign(ehandel=False)
    cards["credit"] = cards["amount"] < 0
    both = pd.concat([lines[["ean", "date", "unspsc", "amount", "ehandel", "doc", "credit"]],
                      cards[["ean", "date", "unspsc", "amount", "ehandel", "doc", "credit"]]])
    both = both[both["unspsc"].map(ELIGIBLE) & (both["date"].dt.year == year)]
    rows = []
    for ean, group in both.groupby("ean"):
        invoices = group[~group["credit"]]
        rows.append({"ean": ean, "eligible_amount": group["amount"].sum(),
                     "ehandel_amount": group.loc[group["ehandel"], "amount"].sum(),
                     "eligible_documents": invoices["doc"].nunique(),
                     "ehandel_documents": invoices.loc[invoices["ehandel"], "doc"].nunique()})
    frame = pd.DataFrame(rows)
    frame["rate"] = frame["ehandel_amount"] / frame["eligible_amount"]
    frame["count_rate"] = frame["ehandel_documents"] / frame["eligible_documents"]
    return frame.sort_values("ean").reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unit_org_and_municipality_rates_match_pandas(tmp_path: Path, seed: int) -> None:
    data = random_municipality(tmp_path / "raw", seed)
    path = tmp_path / "db.duckdb"
    report = ingest(tmp_path / "raw", path)
    assert report.rows_quarantined == 0
    con = db.connect(path)
    for year in (2024, 2025):
        expected = expected_unit_rates(data, year)
        got = rates.unit_rates(con, year).sort_values("ean").reset_index(drop=True)
        columns = ["ean", "eligible_amount", "ehandel_amount", "eligible_documents", "ehandel_documents",
                   "rate", "count_rate"]
        pd.testing.assert_frame_equal(got[columns], expected[columns], check_dtype=False, atol=1e-9)

        by_org = expected.merge(data["units"], on="ean").groupby("level2")[
            ["eligible_amount", "ehandel_amount"]].sum()
        got_org = rates.org_rates(con, year, 2).set_index("org_name")
        pd.testing.assert_series_equal(got_org["rate"].sort_index(),
                                       (by_org["ehandel_amount"] / by_org["eligible_amount"]).sort_index(),
                                       check_names=False, atol=1e-12)
        categories = rates.municipality_category_rates(con, year)
        assert categories["eligible_amount"].sum() == pytest.approx(expected["eligible_amount"].sum(), abs=1e-6)
        assert set(categories["municipality"]) == {"raw"}  # one municipality: the raw folder's name
        total = rates.municipality_rates(con).set_index("period").loc[str(year)]
        assert total["eligible_amount"] == pytest.approx(expected["eligible_amount"].sum(), abs=1e-6)
        assert total["rate"] == pytest.approx(expected["ehandel_amount"].sum() / expected["eligible_amount"].sum())
    monthly = rates.municipality_rates(con, "month")
    assert monthly["eligible_amount"].sum() == pytest.approx(
        rates.municipality_rates(con, "year")["eligible_amount"].sum())
    con.close()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [4, 5])
def test_monthly_totals_equal_the_definition(tmp_path: Path, seed: int) -> None:
    """unit_month and category_month (built for speed) equal count(DISTINCT document_id) over purchases."""
    random_municipality(tmp_path / "raw", seed)
    path = tmp_path / "db.duckdb"
    ingest(tmp_path / "raw", path)
    con = db.connect(path)
    measures = ("sum(amount), coalesce(sum(amount) FILTER (is_ehandel), 0),"
                " count(DISTINCT document_id) FILTER (NOT is_credit_note),"
                " count(DISTINCT document_id) FILTER (NOT is_credit_note AND is_ehandel)")
    columns = "eligible_amount, ehandel_amount, eligible_documents, ehandel_documents"
    by_unit = con.execute(f"SELECT ean, year(purchase_date), month(purchase_date), {measures} FROM purchases"
                          " WHERE eligible GROUP BY ALL ORDER BY ALL").fetchall()
    assert con.execute(f"SELECT ean, year, month, {columns} FROM unit_month ORDER BY ALL").fetchall() == by_unit
    by_category = con.execute(f"SELECT municipality, category, mandatory_area, year(purchase_date),"
                              f" month(purchase_date), {measures} FROM purchases JOIN units USING (ean)"
                              " WHERE eligible GROUP BY ALL ORDER BY ALL").fetchall()
    assert con.execute(f"SELECT municipality, category, mandatory_area, year, month, {columns}"
                       " FROM category_month ORDER BY ALL").fetchall() == by_category
    spanning = con.execute("SELECT count(*) FROM (SELECT document_id FROM purchases WHERE eligible"
                           " GROUP BY ALL HAVING count(DISTINCT category) > 1)").fetchone()[0]
    assert spanning > 0 and len({row[1] for row in by_category}) == 3  # the case that needs category_month
    assert con.execute("SELECT count(*) FROM purchases WHERE source = 'kort' AND eligible AND amount < 0"
                       ).fetchone()[0] > 0
    con.close()


def test_year_parameters_are_checked(small_db: Path) -> None:
    con = db.connect(small_db)
    assert rates.years(con) == [2024, 2025]
    assert rates.check_year(con, None) == 2025
    with pytest.raises(ParameterError, match="^year 2019 has no data; available years: 2024, 2025$"):
        rates.check_year(con, 2019)
    with pytest.raises(ParameterError, match="level must be 1, 2, 3 or 4"):
        rates.org_rates(con, 2025, 5)
    with pytest.raises(ParameterError, match="period type"):
        rates.unit_rates(con, 2025, "week")  # type: ignore[arg-type]
    con.close()


def test_database_opens_read_only_and_rejects_other_files(small_db: Path, tmp_path: Path) -> None:
    con = db.connect(small_db)
    with pytest.raises(Exception, match="read-only"):
        con.execute("CREATE TABLE x (a INTEGER)")
    con.close()
    from analysis.errors import DatabaseError

    with pytest.raises(DatabaseError, match="database not found"):
        db.connect(tmp_path / "missing.duckdb")


def test_a_database_from_another_version_is_refused_with_what_to_do(small_db: Path, tmp_path: Path) -> None:
    from analysis.errors import DatabaseError

    old = tmp_path / "old.duckdb"
    shutil.copy(small_db, old)
    db.connect(old).close()  # as built by this version
    for change, built in (("UPDATE meta SET value = '0' WHERE key = 'schema_version'", "with schema 0"),
                          ("DELETE FROM meta WHERE key = 'schema_version'", "before schema versions")):
        with duckdb.connect(str(old)) as con:
            con.execute(change)
        with pytest.raises(DatabaseError, match=f"old.duckdb: built by another version of analysis \\({built};"
                                                r".*analysis ingest RAW_DIR --db .*old.duckdb"):
            db.connect(old)


def test_no_rate_on_zero_or_negative_eligible_spend(tmp_path: Path) -> None:
    """A year holding only a credit note is not '100 %': the unit has no rate and is not ranked."""
    from helpers import CVR, EANS, minimal_raw

    from analysis.ingest import ingest
    from analysis.engines.penalty import STATUS_NO_SPEND, PenaltyParameters, rank_units

    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Kuglepenne", "1.000,00", "EH-1", ""],
        ["K1", 1, "15-01-2025", EANS[1], CVR, "Kontor A/S", "44121701", "Retur", "-5.050,00", "EH-1", ""]])
    db = tmp_path / "e.duckdb"
    ingest(raw, db)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT ean, eligible_amount, rate FROM unit_period_rates WHERE period_type = 'year'"
                       " ORDER BY ean").fetchall()
    units = rates.unit_rates_between(con, date(2025, 1, 1), date(2025, 12, 31))
    con.close()
    assert sorted(rows) == sorted([(EANS[0], Decimal("1000.00"), 1.0), (EANS[1], Decimal("-5050.00"), None)])
    status = rank_units(units, PenaltyParameters(n=1, amount=1000, key="equal")).set_index("ean")["status"]
    assert status[EANS[1]] == STATUS_NO_SPEND


def test_the_definition_of_e_handel_says_the_rule_and_how_order_numbers_compare(small_db: Path) -> None:
    from analysis.ingest import ORDER_MATCHES

    with db.connect(small_db) as con:  # closed on leaving
        said = rates.ehandel_definition(con)
    assert said.startswith("En faktura er e-handel, når dens ordrereference matcher en ordre fra e-handelssystemet"
                           f" ({ORDER_MATCHES['both'][1]}). Ordrenumre sammenlignes uden hensyn til store og små")
    assert said.endswith("Indkøbskort er aldrig e-handel. Kreditnotaer modregnes.")
