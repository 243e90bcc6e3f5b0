"""Parse, check, quarantine and load every row of a file kind in one pass of SQL.

Each column kind has its checks (a date is a date within 1990-2100, an EAN has 13 digits and a
right check digit, an amount has at most two decimals); a row gets its first problem, duplicates of
the kind's key are found among the good rows only, and bad rows go to ``quarantine`` with their
file, line, column, value (CPR numbers masked) and reason, counted per file for the reconciliation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from .privacy import mask_sql
from .relations import Relation
from .schema import Column, FileKind

MAX_LINE_AMOUNT = 1_000_000_000  # a single line above 1 bn kr. is a data error, not a purchase
# A report's own total as exports write it in a text field of its last rows: "I alt", "Total:",
# "I alt Skoler" (a group's subtotal). Only a row that lacks a required value can be one, so a
# purchase is never taken for a total.
TOTALS_LABEL = (r"(i alt|i alt .+|total|totalt|totaler|total i alt|sum|sum i alt|samlet|samlet sum|hovedtotal"
                r"|grand total|subtotal|subtotal .+)[:.]?")
# A long number Excel has turned into a number and written back in scientific notation: its last
# digits are gone (5798009811578 → 5,79801E+12), and two ids can become one.
_EXCEL_NOTATION = ("regexp_full_match({v}, '[-+]?\\d+([.,]\\d+)?[eE][-+]\\d+')",
                   "is in scientific notation: Excel turned the number into a number and dropped its last digits;"
                   " export the column as text")
# (condition on the parsed value {v}, reason) per column kind, checked in order.
_CHECKS = {
    "id": [_EXCEL_NOTATION],
    "int": [("{v} IS NULL", "is not a whole number")],
    "date": [("{v} IS NULL", "is not a valid date (expected dd-mm-yyyy)"),
             ("year({v}) NOT BETWEEN 1990 AND 2100", "is outside the years 1990-2100")],
    "amount": [("{v} IS NULL", "is not a valid amount (expected e.g. 1.234,50, at most two decimals)"),
               (f"abs({{v}}) >= {MAX_LINE_AMOUNT}", "is implausibly large (1 bn kr. or more)")],
    "ean": [_EXCEL_NOTATION, ("NOT regexp_full_match({v}, '\\d{13}')", "is not a 13-digit EAN/GLN number"),
            ("NOT gln_check_digit_ok({v})", "has a wrong EAN/GLN check digit")],
    "cvr": [_EXCEL_NOTATION, ("NOT regexp_full_match({v}, '\\d{8}')", "is not an 8-digit CVR number")],
    "unspsc": [_EXCEL_NOTATION, ("NOT regexp_full_match({v}, '\\d{8}')", "is not an 8-digit UNSPSC code")],
    "art": [("NOT regexp_full_match({v}, '\\d{1,4}')", "is not an art of the chart of accounts (e.g. 2.2 or 22)")],
    "flag": [("{v} IS NULL", "is not ja/nej")],
}



def _present(column: Column) -> str:
    """SQL: the column has a value (a typed value, or text that is not blank)."""
    return f"(p_{column.name} IS NOT NULL OR nullif({column.name}, '') IS NOT NULL)"  # the text is trimmed


def _totals_label(kind: FileKind) -> str:
    """SQL: the label of the export's own totals row ("I alt") for a row that lacks a required value
    and holds such a label in a text field, else NULL. Evaluated only for rows that lack a value
    (a CASE), so it costs nothing on good rows."""
    required = [c for c in kind.columns if c.required]
    texts = [c.name for c in kind.columns if c.kind != "personal"]
    if not required or not texts:
        return "NULL::VARCHAR"
    found = ", ".join(f"CASE WHEN regexp_full_match(lower({name}), '{TOTALS_LABEL}') THEN {name} END" for name in texts)
    return f"CASE WHEN NOT ({' AND '.join(_present(c) for c in required)}) THEN coalesce({found}) END"


@dataclass(frozen=True)
class Lookup:
    """A column whose values must be found in a table loaded (and so checked) before."""

    column: str
    values: str  # SQL: SELECT of the known values
    reason: str


UNIT_LOOKUP = Lookup("buyer_ean", "SELECT ean FROM units", "is not a unit in the units file")


def _checks(kind: FileKind, extra: list[tuple[str, str, str]], lookup: Lookup | None,
            first: list[tuple[str, str, str]] = ()) -> list[tuple[str, str]]:
    """Every check of a row, in order, as (SQL condition that is true for a problem, SQL {col, why}).

    ``extra`` adds checks that need more than the row itself: (condition, column, reason); ``first``
    such checks come before the columns' own (a better reason for the same fault). With a
    ``lookup``, a value found among the known values (flag ``_known``) skips its column's own
    checks, which it passed when its table was loaded (the EAN check digit of 50 m invoice lines
    was a fifth of the checking), and a value not found is a problem after all other checks.
    """
    checks = [("_error IS NOT NULL", "{'col': NULL, 'why': _error}"),
              ("_totals IS NOT NULL", "{'col': NULL, 'why': 'is the export''s own totals row (' || rtrim(_totals, ':. ') || '),"
                                      " not a purchase'}")]
    checks += [(condition, f"{{'col': '{column_name}', 'why': {reason}}}") for condition, column_name, reason in first]
    for column in kind.columns:
        name = column.name
        if column.blank_if_bad:
            continue  # see _blanks
        if column.required:
            checks.append((f"NOT {_present(column)}", f"{{'col': '{name}', 'why': 'is missing'}}"))
        for condition, reason in _CHECKS.get(column.kind, []):
            test = f"{_present(column)} AND ({condition.replace('{v}', f'p_{name}')})"
            if lookup is not None and lookup.column == name:
                test = f"CASE WHEN _known THEN FALSE ELSE {test} END"  # a CASE evaluates only the unknown
            checks.append((test, f"{{'col': '{name}', 'why': '{reason}'}}"))
    for condition, column_name, reason in extra:
        checks.append((condition, f"{{'col': '{column_name}', 'why': {reason}}}"))
    if lookup is not None:
        checks.append(("NOT _known", f"{{'col': '{lookup.column}', 'why': '{lookup.reason}'}}"))
    return checks


def _blanks(kind: FileKind) -> list[tuple[str, str, str]]:
    """(column, SQL condition, reason) for each optional value that is blanked rather than the row
    quarantined when it fails its check (an item number in a UNSPSC column)."""
    return [(c.name, f"{_present(c)} AND ({condition.replace('{v}', f'p_{c.name}')})", reason)
            for c in kind.columns if c.blank_if_bad for condition, reason in _CHECKS.get(c.kind, [])]


def _problem_value(kind: FileKind) -> str:
    """SQL for the raw text of the column a problem names (personal data is never echoed, and a
    CPR number in any value is masked)."""
    cases = " ".join(f"WHEN '{c.name}' THEN coalesce({c.name}, CAST(p_{c.name} AS VARCHAR))"
                     for c in kind.columns if c.kind != "personal")
    return mask_sql(f"CASE problem.col {cases} END")


def check_and_load(con: duckdb.DuckDBPyConnection, kind: FileKind, relations: list[Relation], select: str,
                    extra: list[tuple[str, str, str]], counts: dict[int, tuple] | None = None,
                    after: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
                    keep_position: bool = False, lookup: Lookup | None = None,
                    resolve: str | None = None, first: list[tuple[str, str, str]] = (),
                    blank_extra: list[tuple[str, str, str]] = ()) -> None:
    """Parse, check and load every row of a kind in one pass into the table ``kind.name``.

    Bad rows get their first problem; duplicates of the kind's key are found afterwards among the
    good rows only (so a bad row never hides a good one; the first good occurrence by file order,
    then line, is kept) by a hash aggregate, so only rows of keys seen twice are sorted. Then bad
    rows go to ``quarantine``, the reconciliation is counted, and only good rows stay. ``after``
    runs on the table before the bad rows leave (e.g. to complete values that depend on other rows).
    With ``keep_position`` the table keeps each row's ``file`` and ``line``. ``select`` must name the
    kind's amount column as it is (the reconciliation sums it). ``lookup`` and ``first``: see
    ``_checks``. ``resolve`` replaces parsed values before any check (``p_x AS p_x`` items of a
    ``SELECT * REPLACE``: an EAN found from another id, say). An optional value that fails its check
    (``_blanks``, and ``blank_extra``: (column, SQL condition, reason)) is set to NULL and counted per
    file and reason in ``blanked_values``.
    """
    table = kind.name
    union = " UNION ALL BY NAME ".join(f"({r.sql})" for r in relations)
    if resolve:
        union = f"SELECT * REPLACE ({resolve}) FROM ({union})"
    blanks = _blanks(kind) + list(blank_extra)
    if blanks:
        flagged = ", ".join(f"{condition} AS _blank_{i}" for i, (_, condition, _) in enumerate(blanks))
        replaced = ", ".join(
            f"CASE WHEN {' OR '.join(f'_blank_{i}' for i, b in enumerate(blanks) if b[0] == name)} THEN NULL"
            f" ELSE p_{name} END AS p_{name}" for name in dict.fromkeys(b[0] for b in blanks))
        first_blank = "CASE " + " ".join(f"WHEN _blank_{i} THEN {{'col': '{name}', 'why': '{reason}',"
                                         f" 'value': {name}}}" for i, (name, _, reason) in enumerate(blanks)) + " END"
        union = (f"SELECT * EXCLUDE ({', '.join(f'_blank_{i}' for i in range(len(blanks)))}) REPLACE ({replaced}),"
                 f" {first_blank} AS _blanked FROM (SELECT *, {flagged} FROM ({union}))")
    else:
        union = f"SELECT *, NULL::STRUCT(col VARCHAR, why VARCHAR, value VARCHAR) AS _blanked FROM ({union})"
    union = f"SELECT *, {_totals_label(kind)} AS _totals FROM ({union})"
    amount = kind.amount_column or "NULL::DECIMAL(18, 2)"  # in the table being built
    # Each check is a column of its own, computed once per row; the CASE then picks the first
    # failing one. (Inside a CASE, DuckDB does not share sub-expressions: the EAN check digit
    # alone took 3x as long there.)
    checks = _checks(kind, extra, lookup, first)
    flags = ", ".join(f"{condition} AS _check_{i}" for i, (condition, _) in enumerate(checks))
    if lookup is not None:
        union = f"SELECT *, p_{lookup.column} IN ({lookup.values}) AS _known FROM ({union})"
    problem = "CASE " + " ".join(f"WHEN _check_{i} THEN {why}" for i, (_, why) in enumerate(checks)) + " END"
    con.execute(f"""
        CREATE TABLE {table} AS
        SELECT _file, _line, {select}, _file_order, problem, problem_value, _blanked, _totals FROM (
            SELECT *, CASE WHEN problem IS NOT NULL THEN {_problem_value(kind)} END AS problem_value FROM (
                SELECT *, {problem} AS problem FROM (SELECT *, {flags} FROM ({union}))))""",
                [value for r in relations for value in r.parameters])
    for relation in relations:
        if relation.scratch_table:
            con.execute(f"DROP TABLE {relation.scratch_table}")
    key = ", ".join(kind.key) or "NULL"  # without a key (a single-table export) no row is a duplicate
    con.execute(f"""
        CREATE TEMP TABLE duplicates AS
        WITH repeated AS (SELECT hash({key}) AS h FROM {table} WHERE problem IS NULL AND {bool(kind.key)}
                          GROUP BY h HAVING count(*) > 1),
        candidates AS (
            SELECT _file, _line, row_number() OVER w AS n, first_value(_file) OVER w AS first_file,
                   first_value(_line) OVER w AS first_line
            FROM {table} WHERE problem IS NULL AND hash({key}) IN (SELECT h FROM repeated)
            WINDOW w AS (PARTITION BY {key} ORDER BY _file_order, _file, _line))
        SELECT _file, _line, 'duplicate of ' || first_file || ' line ' || first_line AS why
        FROM candidates WHERE n > 1""")
    if con.execute("SELECT count(*) FROM duplicates").fetchone()[0]:
        con.execute(f"UPDATE {table} t SET problem = {{'col': NULL, 'why': d.why}} FROM duplicates d"
                    " WHERE t._file = d._file AND t._line = d._line")
    con.execute("DROP TABLE duplicates")
    if after is not None:
        after(con)
    if counts is not None:
        con.execute(f"INSERT INTO quarantine SELECT _file, _line, '{kind.name}', problem.col, problem_value,"
                    f" problem.why, {amount} FROM {table} WHERE problem IS NOT NULL")
        for order, *row in con.execute(
                f"SELECT _file_order, count(*), count(*) FILTER (problem IS NULL), count(*) FILTER (problem IS NOT NULL),"
                f" coalesce(sum({amount}), 0), coalesce(sum({amount}) FILTER (problem IS NULL), 0),"
                f" coalesce(sum({amount}) FILTER (problem IS NOT NULL), 0),"
                f" count(*) FILTER (problem IS NOT NULL AND {amount} IS NULL AND {kind.amount_column is not None})"
                f" FROM {table} GROUP BY _file_order").fetchall():
            counts[order] = tuple(row)
        con.execute(f"""INSERT INTO blanked_values
            SELECT _file_order, _file, '{kind.name}', _blanked.col, _blanked.why, count(*),
                   {mask_sql("min(_blanked.value)")}
            FROM {table} WHERE problem IS NULL AND _blanked IS NOT NULL GROUP BY ALL""")
        if kind.amount_column is not None:  # the file's own total against its other rows
            con.execute(f"""INSERT INTO export_totals
                SELECT _file_order, max(_line), arg_max(_totals, _line), arg_max({amount}, _line),
                       count(*), (SELECT coalesce(sum({amount}), 0) FROM {table} o
                                  WHERE o._file_order = t._file_order AND o._totals IS NULL)
                FROM {table} t WHERE _totals IS NOT NULL AND problem.why LIKE 'is the export%' GROUP BY _file_order""")
        con.execute(f"DELETE FROM {table} WHERE problem IS NOT NULL")
        for helper in ("_file_order", "problem", "problem_value", "_blanked", "_totals") + (() if keep_position else ("_file", "_line")):
            con.execute(f"ALTER TABLE {table} DROP COLUMN {helper}")
        if keep_position:  # renamed rather than written twice: the position columns of 50 m lines cost
            con.execute(f"ALTER TABLE {table} RENAME _file TO file")
            con.execute(f"ALTER TABLE {table} RENAME _line TO line")
