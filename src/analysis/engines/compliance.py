"""Mandatory e-handel areas (since 1 January 2025) and binding-agreement compliance.

Both read the eligible purchases of a period from the database; groupings come from a fixed list
(never from text a user typed) and dates are bound parameters.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from ..errors import ParameterError
from ..paths import REFERENCE_DIR

GROUPS = {  # name -> the SQL columns grouped by
    "unit": "u.name AS name, u.unit_type AS unit_type",
    "supplier": "coalesce(p.supplier_name, 'Ukendt') AS supplier_name, coalesce(p.supplier_cvr, '') AS supplier_cvr",
    "category": "p.category AS category",
    "area": "p.mandatory_area AS mandatory_area",
}


def _group(by: str) -> str:
    if by not in GROUPS:
        raise ParameterError(f"by: must be one of {', '.join(GROUPS)}, not {by!r}")
    return GROUPS[by]


def _floats(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column.endswith(("amount", "share", "rate")):
            frame[column] = frame[column].astype(float)
    return frame


def mandatory_areas(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pd.DataFrame:
    """Per mandatory area: eligible spend, e-handled spend and share, and spend outside e-handel."""
    return _floats(con.execute("""
        SELECT mandatory_area, sum(amount) AS eligible_amount,
               coalesce(sum(amount) FILTER (is_ehandel), 0) AS ehandel_amount,
               sum(amount) - coalesce(sum(amount) FILTER (is_ehandel), 0) AS missed_amount,
               rate_of(coalesce(sum(amount) FILTER (is_ehandel), 0), sum(amount)) AS rate,
               count(DISTINCT document_id) FILTER (NOT is_ehandel AND NOT is_credit_note) AS missed_documents
        FROM purchases
        WHERE eligible AND mandatory_area IS NOT NULL AND purchase_date BETWEEN ? AND ?
        GROUP BY mandatory_area ORDER BY missed_amount DESC, mandatory_area""", [first, last]).df())


def mandatory_missed(con: duckdb.DuckDBPyConnection, first: date, last: date, by: str = "unit",
                     top: int = 10) -> pd.DataFrame:
    """The units (or suppliers) with the most spend outside e-handel in mandatory areas."""
    return _floats(con.execute(f"""
        SELECT {_group(by)}, sum(p.amount) AS missed_amount,
               count(DISTINCT p.document_id) FILTER (NOT p.is_credit_note) AS documents
        FROM purchases p JOIN units u USING (ean)
        WHERE p.eligible AND p.mandatory_area IS NOT NULL AND NOT p.is_ehandel
          AND p.purchase_date BETWEEN ? AND ?
        GROUP BY ALL ORDER BY missed_amount DESC, 1 LIMIT ?""", [first, last, top]).df())


def agreement_compliance(con: duckdb.DuckDBPyConnection, first: date, last: date, by: str = "category"
                         ) -> pd.DataFrame:
    """Per group: eligible spend, spend on binding agreements and its share, and spend with other
    suppliers in categories a binding agreement covers (the compliance gap)."""
    return _floats(con.execute(f"""
        SELECT {_group(by)}, sum(p.amount) AS eligible_amount,
               coalesce(sum(p.amount) FILTER (p.on_agreement), 0) AS agreement_amount,
               share_of(coalesce(sum(p.amount) FILTER (p.on_agreement), 0), sum(p.amount)) AS agreement_share,
               coalesce(sum(p.amount) FILTER (p.covered AND NOT p.on_agreement), 0) AS off_agreement_amount
        FROM purchase_agreements p JOIN units u USING (ean)
        WHERE p.purchase_date BETWEEN ? AND ?
        GROUP BY ALL ORDER BY off_agreement_amount DESC, 1""", [first, last]).df())


def area_status() -> pd.DataFrame:
    """Which mandatory areas are confirmed by a source (data/reference/obligatoriske_omraader.csv)."""
    return pd.read_csv(REFERENCE_DIR / "obligatoriske_omraader.csv", sep=";", encoding="utf-8")
