"""E-handel rates from the database's views, as DataFrames for notebooks, the CLI and tests.

All values reach SQL as bound parameters. Amounts come back as exact decimals from DuckDB and are
converted to float kroner only here, at the edge, for display and charts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import duckdb
import pandas as pd

from ..errors import ParameterError
from ..formats import kr

PeriodType = Literal["year", "quarter", "month"]
PERIOD_TYPES: tuple[str, ...] = ("year", "quarter", "month")
AMOUNT_COLUMNS = ("eligible_amount", "ehandel_amount", "missed_amount", "goods_budget")


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    frame = con.execute(sql, params).df()
    for column in AMOUNT_COLUMNS:
        if column in frame:
            frame[column] = frame[column].astype(float)
    for column in ("rate", "count_rate"):
        if column in frame:
            frame[column] = frame[column].astype(float)
    return frame


def count_rate_note(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why the count-based rate is not available (in Danish, for every report), or None when it is.

    A single-table e-handel export without invoice numbers cannot be counted in invoices; the views
    then give no count_rate at all rather than a rate of lines."""
    found = con.execute("SELECT value FROM meta WHERE key = 'count_rate'").fetchone()
    return None if found is None or found[0] == "ja" else found[0]


def check_basis(con: duckdb.DuckDBPyConnection, basis: str) -> str:
    """The rate basis, refused when it is count and the purchases cannot be counted in invoices
    (whether it is a basis at all is the parameters' check)."""
    note = count_rate_note(con) if basis == "count" else None
    if note:
        raise ParameterError(f"basis: count is not available for this database: {note}")
    return basis


def ehandel_definition(con: duckdb.DuckDBPyConnection) -> str:
    """How this database decides that a purchase is e-handel, in Danish (for every report's method
    note): the order matching rule the ingest used, and the Ordretype mapping of a single-table export."""
    from ..ingest import ORDER_MATCHES  # the ingest's own wording of its rules

    found = dict(con.execute("SELECT key, value FROM meta WHERE key = 'order_match'").fetchall())
    kinds = {row[0] for row in con.execute("SELECT DISTINCT kind FROM ingest_files WHERE rows_loaded > 0").fetchall()}
    parts = []
    if "invoice_lines" in kinds:
        parts.append("En faktura er e-handel, når dens ordrereference matcher en ordre fra e-handelssystemet"
                     f" ({ORDER_MATCHES[found.get('order_match', 'both')][1]}). Ordrenumre sammenlignes uden hensyn"
                     " til store og små bogstaver, mellemrum og tegn, en indledende »Ordre nr.« eller »PO« og"
                     " foranstillede nuller.")
    if "ehandel_table" in kinds:
        parts.append("Et køb i e-handelstabellen er e-handel, når dets ordretype er det ifølge ordretyper.csv.")
    return " ".join(parts + ["Indkøbskort er aldrig e-handel. Kreditnotaer modregnes."])


def goods_budget_note(con: duckdb.DuckDBPyConnection) -> str:
    """Where the units' goods budgets come from, in Danish, with the budget file's reconciliation."""
    source = dict(con.execute("SELECT key, value FROM meta WHERE key = 'budget_source'").fetchall()).get("budget_source")
    if source == "budgetfil":
        items = dict(con.execute("SELECT item, amount FROM budget_reconciliation").fetchall())
        units = con.execute("SELECT count(goods_budget) FROM units").fetchone()[0]
        used = items.pop("varebudget til enhederne", 0)
        left = "; ".join(f"{item}: {kr(amount)}" for item, amount in items.items())
        return (f"Varebudgetterne er beregnet fra budgetfilen (budget pr. omkostningssted og art) via omkostningssteder:"
                f" {kr(used)} på varearterne er fordelt på {units} enheder" + (f". Udeladt: {left}" if left else "."))
    if source == "enhedsfil":
        return "Varebudgetterne er enhedsfilens (Varebudget pr. EAN)."
    return "Der er ingen varebudgetter i data (hverken i enhedsfilen eller en budgetfil)."


def cross_matches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Invoices quoting an e-handel order's number but not its buyer or supplier (not e-handel), largest first."""
    frame = con.execute("SELECT * FROM order_cross_matches ORDER BY amount DESC, file, invoice_no").df()
    frame["amount"] = frame["amount"].astype(float)
    return frame


def years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years with eligible purchases, ascending."""
    rows = con.execute(
        "SELECT DISTINCT CAST(period AS INTEGER) FROM municipality_period_rates"
        " WHERE period_type = 'year' ORDER BY 1"
    ).fetchall()
    return [row[0] for row in rows]


def complete_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years with purchases in all twelve months: the ones fair to compare and rank on."""
    rows = con.execute(
        "SELECT CAST(left(period, 4) AS INTEGER) AS y FROM municipality_period_rates"
        " WHERE period_type = 'month' GROUP BY y HAVING count(*) = 12 ORDER BY y"
    ).fetchall()
    return [row[0] for row in rows]


def check_year(con: duckdb.DuckDBPyConnection, year: int | None) -> int:
    """The year to report on: the given one if it has data, else the latest complete year."""
    available = years(con)
    if not available:
        spend, unclassified = con.execute("SELECT coalesce(sum(amount), 0), coalesce(sum(amount) FILTER"
                                          " (eligibility_rule IS NULL), 0) FROM purchases").fetchone()
        why = (f": {unclassified / spend:.0%} of its spend ({unclassified:,.2f} kr.) is classified by no eligibility"
               " rule; add rules to egnethed.csv (art, leverandør, varetype, tekst) or UNSPSC codes"
               if spend > 0 and unclassified else "")
        raise ParameterError("the database has no e-handel eligible purchases" + why)
    if year is None:
        complete = complete_years(con)
        return complete[-1] if complete else available[-1]
    if year not in available:
        raise ParameterError(f"year {year} has no data; available years: {', '.join(map(str, available))}")
    return year


def municipality_rates(con: duckdb.DuckDBPyConnection, period_type: PeriodType = "year") -> pd.DataFrame:
    """The municipality's rate per period, oldest first."""
    _check_period_type(period_type)
    return _frame(con, "SELECT * FROM municipality_period_rates WHERE period_type = ? ORDER BY period",
                  [period_type])


def unit_rates(con: duckdb.DuckDBPyConnection, year: int, period_type: PeriodType = "year") -> pd.DataFrame:
    """Each unit's rate in a year (or its quarters/months), lowest rate first."""
    _check_period_type(period_type)
    return _frame(
        con,
        "SELECT * FROM unit_period_rates WHERE period_type = ? AND left(period, 4) = ?"
        " ORDER BY period, rate, ean",
        [period_type, str(year)],
    )


def org_rates(con: duckdb.DuckDBPyConnection, year: int, level: int) -> pd.DataFrame:
    """Each organisation's rate at a hierarchy level (1-4) in a year, lowest first."""
    if level not in (1, 2, 3, 4):
        raise ParameterError(f"level must be 1, 2, 3 or 4, not {level}")
    return _frame(
        con,
        "SELECT * FROM org_period_rates WHERE level = ? AND period_type = 'year' AND period = ?"
        " ORDER BY rate, org_name",
        [level, str(year)],
    )


def category_rates(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Each category's rate in a year, largest eligible spend first."""
    return _frame(
        con,
        "SELECT * FROM category_period_rates WHERE period_type = 'year' AND period = ?"
        " ORDER BY eligible_amount DESC, category",
        [str(year)],
    )


def municipality_category_rates(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """Per municipality and category in a year (for a data set of several municipalities)."""
    return _frame(con, """
        SELECT municipality, category, sum(eligible_amount) AS eligible_amount,
               sum(ehandel_amount) AS ehandel_amount,
               rate_of(sum(ehandel_amount), sum(eligible_amount)) AS rate
        FROM category_month WHERE year = ? GROUP BY ALL ORDER BY municipality, category""", [year])


def measurement_period(year: int | None = None, start: str | date | None = None,
                       end: str | date | None = None) -> tuple[date, date]:
    """A measurement period: a calendar year, or explicit first and last days (both included)."""
    if start is None and end is None:
        if year is None:
            raise ParameterError("give a year or a first and last day for the measurement period")
        return date(year, 1, 1), date(year, 12, 31)
    try:
        first, last = (value if isinstance(value, date) else date.fromisoformat(str(value)) for value in (start, end))
    except (TypeError, ValueError):
        raise ParameterError(f"period: first and last day must be dates (yyyy-mm-dd), not {start!r} and {end!r}") \
            from None
    if first > last:
        raise ParameterError(f"period: first day {first} is after last day {last}")
    return first, last


def year_before(first: date, last: date) -> tuple[date, date]:
    """The same period a year earlier (29 February becomes the 28th)."""
    def back(day: date) -> date:
        return day.replace(year=day.year - 1, day=min(day.day, 28) if (day.month, day.day) == (2, 29) else day.day)
    return back(first), back(last)


FOLLOW_UP_WINDOWS = {"12m": "de seneste 12 måneder", "ytd": "året til dato"}


def follow_up_period(day: date, window: str) -> tuple[date, date]:
    """The measurement period of a budget follow-up on ``day``, in whole months: up to the last
    month that has ended by then (the month of ``day`` if it is its last day), the twelve months
    to it (``12m``) or the year to it (``ytd``)."""
    if window not in FOLLOW_UP_WINDOWS:
        raise ParameterError(f"follow_up_window: must be one of {', '.join(FOLLOW_UP_WINDOWS)}, not {window!r}")
    last = day if (day + timedelta(days=1)).day == 1 else day.replace(day=1) - timedelta(days=1)
    if window == "ytd":
        if last.year != day.year:
            raise ParameterError(f"follow_up_date: {day:%d-%m-%Y} ends no month of its year yet, so there is no"
                                 " year to date; use follow_up_window 12m")
        return date(last.year, 1, 1), last
    year, month = (last.year, 1) if last.month == 12 else (last.year - 1, last.month + 1)
    return date(year, month, 1), last


def months_between(first: date, last: date) -> int:
    """Calendar months the period touches: 01-12-2024 to 30-11-2025 is 12."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def months_with_data(con: duckdb.DuckDBPyConnection, first: date, last: date) -> int:
    """Calendar months of the period that hold eligible purchases."""
    return con.execute("SELECT count(DISTINCT date_trunc('month', purchase_date)) FROM purchases"
                       " WHERE eligible AND purchase_date BETWEEN ? AND ?", [first, last]).fetchone()[0]


def period_label(first: date, last: date) -> str:
    """'2025' for a calendar year, else '01-07-2024 - 30-06-2025' (how every report names a period)."""
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
        return str(first.year)
    return f"{first:%d-%m-%Y} - {last:%d-%m-%Y}"


def unit_rates_before(con: duckdb.DuckDBPyConnection, first: date, last: date) -> tuple[str, pd.DataFrame | None]:
    """The period a year before ``first``-``last``, labelled, with its per-unit figures; None unless
    the data cover every month of it (a part of a year is never set beside a whole one)."""
    before = year_before(first, last)
    whole = months_with_data(con, *before) == months_between(*before)
    return period_label(*before), (unit_rates_between(con, *before) if whole else None)


def unit_rates_between(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pd.DataFrame:
    """Every unit's eligible and e-handled spend and rates over a period (units without purchases too)."""
    return _frame(con, "SELECT * FROM unit_rates_between(?, ?)", [first, last])


def unit_documents_between(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pd.DataFrame:
    """Each unit's eligible documents in a period with amount and e-handel flag (for resampling)."""
    frame = con.execute("SELECT * FROM unit_documents_between(?, ?)", [first, last]).df()
    frame["amount"] = frame["amount"].astype(float)
    return frame


def _check_period_type(period_type: str) -> None:
    if period_type not in PERIOD_TYPES:
        raise ParameterError(f"period type must be one of {', '.join(PERIOD_TYPES)}, not {period_type!r}")
