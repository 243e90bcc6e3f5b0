"""The tables the ingest derives once every kind is loaded, and the rules they follow.

An invoice's document type where the export leaves it out and its sign as a credit note; the
documents' totals; the order an invoice line names (``ORDER_MATCHES``); units from the purchases
when no units file is given, budgets moved from cost centres to units, units' other ids; and the
maps that classify a line by UNSPSC, art, supplier, item type or text (``egnethed.csv``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import duckdb

from ..errors import InputError
from .privacy import mask_sql
from .relations import Relation

if TYPE_CHECKING:
    from .results import IngestReport

BLANK_ORDER_TYPE = "(tom)"
# How an invoice's order reference is matched to an e-handel order: the conditions on the order (o)
# and the invoice line's parsed values (any one suffices), and the rule in Danish for the reports.
# Order numbers are not unique across e-handel systems and suppliers, so by default the buyer and,
# when the order names one, the supplier must agree too (docs/decisions.md, 34). An order without a
# CVR is a condition of its own rather than an OR inside one: that keeps each an equality join.
ORDER_MATCHES = {
    "both": (("o.buyer_ean = p_buyer_ean AND o.supplier_cvr = p_supplier_cvr",
              "o.buyer_ean = p_buyer_ean AND o.supplier_cvr IS NULL"),
             "ordrenummer og køber-EAN skal stemme med ordren, og leverandør-CVR, når ordren har det"),
    "buyer": (("o.buyer_ean = p_buyer_ean",), "ordrenummer og køber-EAN skal stemme med ordren"),
    "supplier": (("o.supplier_cvr = p_supplier_cvr", "o.supplier_cvr IS NULL"),
                 "ordrenummer og leverandør-CVR (når ordren har det) skal stemme med ordren"),
    "number": (("TRUE",), "ordrenummeret alene afgør (køber og leverandør sammenlignes ikke)"),
}


def _infer_document_type(con: duckdb.DuckDBPyConnection) -> None:
    """Without a document type, a document whose good lines sum below zero is a credit note."""
    if not con.execute("SELECT count(*) FROM invoice_lines WHERE problem IS NULL AND document_type IS NULL"
                       ).fetchone()[0]:
        return
    con.execute("""
        UPDATE invoice_lines t SET document_type = CASE WHEN d.total < 0 THEN 'credit_note' ELSE 'invoice' END
        FROM (SELECT supplier_id, invoice_no, sum(amount) AS total
              FROM invoice_lines i SEMI JOIN (SELECT DISTINCT supplier_id, invoice_no FROM invoice_lines
                                              WHERE problem IS NULL AND document_type IS NULL) u
                                   USING (supplier_id, invoice_no)
              WHERE problem IS NULL GROUP BY ALL) d
        WHERE t.problem IS NULL AND t.document_type IS NULL
          AND t.supplier_id = d.supplier_id AND t.invoice_no = d.invoice_no""")


def _sign_credit_notes(con: duckdb.DuckDBPyConnection) -> None:
    """A credit note written with positive lines (as OIOUBL CreditNote documents and some ERPs write
    them) is negated, so that it nets against the purchases whatever the file's sign convention; a
    file whose credit notes follow both conventions is refused (no way to tell which is meant)."""
    con.execute("""
        CREATE TEMP TABLE credit_notes AS
        SELECT _file, supplier_id, invoice_no, sum(amount) AS total
        FROM invoice_lines WHERE document_type = 'credit_note' AND amount IS NOT NULL
        GROUP BY ALL""")  # the whole document, quarantined lines too: a duplicate leaves only a part of it
    mixed = con.execute("""
        SELECT _file, arg_min(invoice_no, invoice_no) FILTER (total > 0), arg_min(invoice_no, invoice_no) FILTER (total < 0)
        FROM credit_notes GROUP BY _file HAVING count(*) FILTER (total > 0) > 0 AND count(*) FILTER (total < 0) > 0
        ORDER BY _file LIMIT 1""").fetchone()
    if mixed:
        raise InputError(f"{mixed[0]}: credit notes are written both with positive lines (e.g. {mixed[1]}) and with"
                         f" negative ones (e.g. {mixed[2]}), so it cannot be told which sign means a credit; export"
                         " them with one convention")
    con.execute("""
        UPDATE invoice_lines t SET amount = -t.amount
        FROM (SELECT * FROM credit_notes WHERE total > 0) c
        WHERE t.problem IS NULL AND t.document_type = 'credit_note'
          AND t._file = c._file AND t.supplier_id = c.supplier_id AND t.invoice_no = c.invoice_no""")
    con.execute("DROP TABLE credit_notes")


def complete_documents(con: duckdb.DuckDBPyConnection) -> None:
    """Document types inferred where the file has none, then credit notes given their sign."""
    _infer_document_type(con)
    _sign_credit_notes(con)


# Between the order numbers of a collective invoice's reference ("EH-1, EH-2", "EH-1 og EH-2"); not
# "/" or a space, which order numbers themselves hold.
REF_SEPARATORS = "\\s*[,;&]\\s*|\\s+og\\s+"


def match_normalised_refs(con: duckdb.DuckDBPyConnection, order_match: str) -> dict[int, tuple[int, str, str]]:
    """Invoice lines whose order reference names an e-handel order only as written differently
    ("eh 2025 0027073", "Ordre nr. EH-2025-0027073", "0000123" for "123") or among other order
    numbers (a collective invoice's "EH-1, EH-2"): made e-handel under the same buyer and supplier
    rule (``ORDER_MATCHES``), on the references of both sides reduced by the SQL macro
    ``order_key`` (case, spaces and punctuation, a leading "Ordre nr."/"PO" label, leading zeros;
    at least three characters left). Runs on the loaded table before its bad rows leave. Returns
    per file (by its order) the lines matched so and an example (the reference, the order number)
    for the reconciliation."""
    conditions = " OR ".join("(" + re.sub(r"\bp_", "l.", c) + ")" for c in ORDER_MATCHES[order_match][0])
    # Only a reference with a digit can name an order ("Mail", "Tlf. bestilling" cannot): in real
    # exports most unmatched references are such words, and reducing them was most of the cost.
    con.execute(f"""
        CREATE TEMP TABLE ref_parts AS
        SELECT ref, key FROM (
            SELECT ref, order_key(part) AS key FROM (
                SELECT ref, unnest(list_distinct(list_prepend(ref, string_split_regex(ref, '{REF_SEPARATORS}')))) AS part
                FROM (SELECT DISTINCT order_ref AS ref FROM invoice_lines
                      WHERE problem IS NULL AND NOT is_ehandel AND regexp_matches(order_ref, '[0-9]'))))
        WHERE length(key) >= 3""")
    if not con.execute("SELECT count(*) FROM ref_parts").fetchone()[0]:
        con.execute("DROP TABLE ref_parts")
        return {}
    con.execute(f"""
        CREATE TEMP TABLE normalised_refs AS
        SELECT l._file, l._line, l._file_order, l.order_ref, min(o.order_id) AS order_id
        FROM invoice_lines l JOIN ref_parts p ON p.ref = l.order_ref
        JOIN (SELECT * FROM (SELECT order_key(order_id) AS key, order_id, buyer_ean, supplier_cvr FROM orders)
              WHERE key IN (SELECT key FROM ref_parts)) o ON o.key = p.key
        WHERE l.problem IS NULL AND NOT l.is_ehandel AND ({conditions})
        GROUP BY ALL""")
    con.execute("DROP TABLE ref_parts")
    con.execute("UPDATE invoice_lines l SET is_ehandel = TRUE FROM normalised_refs n"
                " WHERE l._file = n._file AND l._line = n._line")
    found = {order: (lines, ref, order_id) for order, lines, ref, order_id in con.execute(
        "SELECT _file_order, count(*), arg_min(order_ref, _line), arg_min(order_id, _line) FROM normalised_refs"
        " GROUP BY _file_order").fetchall()}
    con.execute("DROP TABLE normalised_refs")
    return found


def list_cross_matches(con: duckdb.DuckDBPyConnection, report: IngestReport, order_match: str) -> None:
    """Invoices that quote an order's number but not its buyer or supplier (so are not e-handel under
    ``order_match``), per invoice, into ``order_cross_matches``; the ingest report says how many."""
    con.execute("""
        CREATE TABLE order_cross_matches AS
        SELECT l.file, l.invoice_no, l.buyer_ean, l.supplier_id, l.order_ref, o.buyer_ean AS order_buyer_ean,
               o.supplier_cvr AS order_supplier_cvr,
               concat_ws(' og ', CASE WHEN o.buyer_ean IS DISTINCT FROM l.buyer_ean THEN 'anden køber' END,
                         CASE WHEN o.supplier_cvr IS NOT NULL AND o.supplier_cvr IS DISTINCT FROM l.supplier_cvr
                              THEN 'anden leverandør' END) AS mismatch,
               count(*) AS lines, sum(l.amount) AS amount
        FROM invoice_lines l
        JOIN (SELECT order_key(order_id) AS key, min(buyer_ean) AS buyer_ean, min(supplier_cvr) AS supplier_cvr
              FROM orders GROUP BY key) o ON o.key = order_key(l.order_ref)
        WHERE NOT l.is_ehandel AND regexp_matches(l.order_ref, '[0-9]')
        GROUP BY ALL
        ORDER BY amount DESC, file, invoice_no""")
    lines, amount, invoices = con.execute("SELECT coalesce(sum(lines), 0), coalesce(sum(amount), 0), count(*)"
                                          " FROM order_cross_matches").fetchone()
    if lines:
        report.warnings.append(
            f"{lines:,} invoice line(s) on {invoices:,} invoice(s), {amount:,.2f} kr., quote the number of an e-handel"
            f" order placed by another buyer or with another supplier: not e-handel (order matching '{order_match}':"
            f" {ORDER_MATCHES[order_match][1]}); listed in the table order_cross_matches and in the status report")


def refuse_unknown_order_types(con: duckdb.DuckDBPyConnection) -> None:
    """Stop when a single-table export has an ``Ordretype`` that ``ordretyper.csv`` does not map: a
    guess would decide which kroner count as e-handel."""
    unknown = con.execute(f"""
        SELECT coalesce(order_type, '{BLANK_ORDER_TYPE}'), count(*), sum(amount), min(file)
        FROM ehandel_table WHERE is_ehandel IS NULL GROUP BY ALL ORDER BY 2 DESC, 1""").fetchall()
    if unknown:
        listed = "".join(f"\n  '{value}': {rows:,} row(s), {amount:,.2f} kr. (e.g. in {file})"
                         for value, rows, amount, file in unknown)
        raise InputError("Ordretype: value(s) not in ordretyper.csv, so it is not known whether they are e-handel;"
                         " add each to an ordretyper.csv in the raw folder (a copy of data/reference/ordretyper.csv)"
                         f" with E-handel ja or nej:{listed}")


_CONTROL = "[\\x00-\\x1f\\x7f]"  # tab, newline, Word's soft line break (0x0b), ESC: none belongs in a name


def free_text(sql: str) -> str:
    """SQL: a free-text value as reports show it: every CPR-like number replaced (names of sole
    traders hold them) and every control character a space (a soft line break broke the Excel
    workbook, an ESC reached the terminal)."""
    cleaned = f"regexp_replace({mask_sql(sql)}, '{_CONTROL}', ' ', 'g')"
    return (f"CASE WHEN regexp_matches({sql}, '\\d{{6}}|{_CONTROL}') THEN {cleaned} ELSE {sql} END")
    # the guard: most values hold neither, and the replacing is the cost


def derive_units(con: duckdb.DuckDBPyConnection, relations: list[Relation], report: IngestReport) -> None:
    """Without a units file, every valid buyer EAN of the purchases is a unit of its own, named as the
    purchases name it (a single-table export's ``EAN-niveau 4``, else the invoice's buyer name); its
    organisation levels are the export's ``EAN-niveau 1-4`` where it has them, else unknown (and said
    to be), and its goods budget is unknown."""
    levels = ", ".join(f"NULL::VARCHAR AS p_level{i}" for i in range(1, 5))
    union = " UNION ALL BY NAME ".join([f"({r.sql})" for r in relations]
                                       + [f"(SELECT NULL::VARCHAR AS p_buyer_name, {levels} WHERE false)"])
    unknown = "'Ukendt (ingen enhedsfil)'"
    con.execute(f"""
        CREATE TABLE units AS
        SELECT ean, coalesce(level4, name, ean) AS name, coalesce(level1, {unknown}) AS level1,
               coalesce(level2, {unknown}) AS level2, coalesce(level3, level4, name, ean) AS level3,
               coalesce(level4, name, ean) AS level4,
               'ukendt' AS unit_type, NULL::DECIMAL(18, 2) AS goods_budget, NULL::VARCHAR AS municipality,
               NULL::VARCHAR AS other_ids
        FROM (SELECT p_buyer_ean AS ean, {free_text('min(p_buyer_name)')} AS name, min(p_level1) AS level1,
                     min(p_level2) AS level2, min(p_level3) AS level3, min(p_level4) AS level4 FROM ({union})
              WHERE regexp_full_match(p_buyer_ean, '\\d{{13}}') AND gln_check_digit_ok(p_buyer_ean) GROUP BY ALL)
        ORDER BY ean""", [value for r in relations for value in r.parameters])
    units, with_levels = con.execute(f"SELECT count(*), count(*) FILTER (level1 <> {unknown}) FROM units").fetchone()
    levels_text = ("their organisation levels are unknown" if not with_levels else
                   "all with organisation levels from the export's EAN-niveau 1-4" if with_levels == units else
                   f"{with_levels} of them with organisation levels from the export's EAN-niveau 1-4, the others"
                   " without")
    report.warnings.append(
        f"no units file: {units} unit(s) derived from the purchases' buyer EANs, named as the purchases name"
        f" them; {levels_text}, and their goods budgets are unknown (add an enheder… file for them)")


def budgets_to_units(con: duckdb.DuckDBPyConnection, report: IngestReport) -> None:
    """Each unit's goods budget from the budget file: the latest year's rows on eligible arts (or
    without an art), split over units by the crosswalk's shares; what went where, in kroner, into
    ``budget_reconciliation``. Shares of a cost centre must add up to 1; all blank means equal parts."""
    bad = con.execute("""
        SELECT cost_centre, sum(share), count(share) < count(*) FROM cost_centres GROUP BY cost_centre
        HAVING count(share) > 0 AND (count(share) < count(*) OR abs(sum(share) - 1) > 0.01)
        ORDER BY cost_centre LIMIT 6""").fetchall()
    if bad:
        listed = ", ".join(f"{centre} ({'some blank, some given' if mixed else f'they add up to {total:.2f}'})"
                           for centre, total, mixed in bad)
        raise InputError(f"omkostningssteder: the shares (Andel) of a cost centre must all be given and add up to 1,"
                         f" or all be blank (equal parts); not so for: {listed}")
    con.execute("""
        CREATE TEMP TABLE budget_rows AS
        WITH latest AS (SELECT max(coalesce(year, 0)) AS year FROM budgets),
        rules AS (SELECT value, eligible FROM eligibility_rules WHERE rule_key = 'art')
        SELECT b.cost_centre, b.art, b.amount,
               CASE WHEN b.art IS NULL THEN TRUE
                    ELSE (SELECT arg_max(r.eligible, length(r.value)) FROM rules r WHERE starts_with(b.art, r.value))
               END AS eligible,
               b.cost_centre IN (SELECT cost_centre FROM cost_centres) AS known
        FROM budgets b, latest WHERE coalesce(b.year, 0) = latest.year""")
    con.execute("""
        CREATE TABLE unit_budgets AS
        WITH shares AS (SELECT cost_centre, ean,
                               coalesce(share, 1.0 / count(*) OVER (PARTITION BY cost_centre)) AS share
                        FROM cost_centres)
        SELECT s.ean, round(sum(b.amount * s.share), 2)::DECIMAL(18, 2) AS goods_budget
        FROM budget_rows b JOIN shares s USING (cost_centre)
        WHERE b.eligible GROUP BY s.ean""")
    con.execute("""
        CREATE TABLE budget_reconciliation AS
        SELECT item, count(*) AS rows, coalesce(sum(amount), 0)::DECIMAL(18, 2) AS amount FROM (
            SELECT amount, CASE WHEN NOT known THEN 'omkostningssted uden enhed'
                                WHEN eligible IS NULL THEN 'art uden regel i egnethed.csv'
                                WHEN NOT eligible THEN 'ikke varekøb (art)'
                                ELSE 'varebudget til enhederne' END AS item
            FROM budget_rows)
        GROUP BY item ORDER BY item""")
    replaced = con.execute("SELECT count(*) FROM units WHERE goods_budget IS NOT NULL").fetchone()[0]
    con.execute("UPDATE units SET goods_budget = (SELECT goods_budget FROM unit_budgets b WHERE b.ean = units.ean)")
    units, without = con.execute("SELECT count(*), count(*) FILTER (goods_budget IS NULL) FROM units").fetchone()
    if replaced:
        report.warnings.append(f"the budget file replaces the units file's Varebudget of {replaced} unit(s)")
    for item, rows, amount in con.execute("SELECT * FROM budget_reconciliation"
                                          " WHERE item <> 'varebudget til enhederne'").fetchall():
        report.warnings.append(f"budget file: {rows} row(s), {amount:,.2f} kr., not in any goods budget: {item}")
    if without:
        report.warnings.append(f"{without} of {units} unit(s) get no goods budget from the budget file (no cost"
                               " centre of theirs in omkostningssteder…, or none with a goods art)")


def unit_ids(con: duckdb.DuckDBPyConnection, report: IngestReport) -> None:
    """The units' other identifiers (``Øvrige ID``: CVR endpoints, AccountingCost strings) that name
    exactly one unit; an id listed by several units maps none, and is said."""
    con.execute("""
        CREATE TEMP TABLE unit_id_list AS
        SELECT DISTINCT regexp_replace(upper(trim(id)), '^DK\\s*(\\d{8})$', '\\1') AS id, ean
        FROM (SELECT ean, unnest(string_split(other_ids, '|')) AS id FROM units WHERE other_ids IS NOT NULL)
        WHERE trim(id) <> ''""")
    con.execute("CREATE TEMP TABLE unit_ids AS SELECT id, min(ean) AS ean FROM unit_id_list GROUP BY id"
                " HAVING count(*) = 1")
    for identifier, eans in con.execute("SELECT id, string_agg(ean, ', ' ORDER BY ean) FROM unit_id_list"
                                        " GROUP BY id HAVING count(*) > 1 ORDER BY id").fetchall():
        report.warnings.append(f"units file: the other id '{identifier}' is listed by several units ({eans}),"
                               " so it names none of them")


def classification_maps(con: duckdb.DuckDBPyConnection) -> None:
    """Small tables that classify the purchases' distinct values, for the ``purchases`` view to join
    (50 m lines join a few thousand codes faster than they match rules): each holds only the values
    its key classifies, with the category, eligibility and the category's number among the eligible
    ones. The view takes the first key that classifies a line (see ELIGIBILITY_RULES)."""
    # A category of kategorier.csv, by name: what a Varetype naming it, or a rule's Kategori, refers to.
    con.execute("""
        CREATE TEMP TABLE named_categories AS
        SELECT lower(category) AS name, min(category) AS category, bool_or(eligible) AS eligible,
               max(mandatory_area) AS mandatory_area
        FROM categories GROUP BY ALL""")
    _prefix_map(con, "unspsc_map", "unspsc",
                "SELECT unspsc_prefix AS prefix, category, eligible, mandatory_area FROM categories")
    _prefix_map(con, "art_map", "art", """
        SELECT r.value AS prefix, r.category, r.eligible, n.mandatory_area
        FROM eligibility_rules r LEFT JOIN named_categories n ON n.name = lower(r.category)
        WHERE r.rule_key = 'art'""")
    con.execute("""
        CREATE TABLE supplier_map AS
        SELECT r.value AS supplier_cvr, r.value AS rule_value, r.category, r.eligible, n.mandatory_area
        FROM eligibility_rules r LEFT JOIN named_categories n ON n.name = lower(r.category)
        WHERE r.rule_key = 'leverandør'""")
    con.execute("""
        CREATE TABLE item_type_map AS
        WITH item_types AS (SELECT DISTINCT item_type FROM invoice_lines WHERE item_type IS NOT NULL)
        SELECT t.item_type, coalesce(r.value, n.name) AS rule_value, coalesce(r.category, n.category) AS category,
               coalesce(r.eligible, n.eligible) AS eligible,
               CASE WHEN r.value IS NOT NULL THEN rn.mandatory_area ELSE n.mandatory_area END AS mandatory_area
        FROM item_types t
        LEFT JOIN eligibility_rules r ON r.rule_key = 'varetype' AND r.value = lower(trim(t.item_type))
        LEFT JOIN named_categories rn ON rn.name = lower(r.category)
        LEFT JOIN named_categories n ON n.name = lower(trim(t.item_type))
        WHERE r.value IS NOT NULL OR n.name IS NOT NULL""")
    con.execute("""
        CREATE TABLE description_map AS
        WITH words AS (SELECT * FROM eligibility_rules WHERE rule_key = 'tekst'),
        descriptions AS (SELECT DISTINCT description FROM invoice_lines
                         WHERE description IS NOT NULL AND EXISTS (SELECT 1 FROM words))
        SELECT d.description, arg_max(w.value, (length(w.value), w.value)) AS rule_value,
               arg_max(w.category, (length(w.value), w.value)) AS category,
               arg_max(w.eligible, (length(w.value), w.value)) AS eligible,
               arg_max(n.mandatory_area, (length(w.value), w.value)) AS mandatory_area
        FROM descriptions d JOIN words w ON contains(lower(d.description), w.value)
        LEFT JOIN named_categories n ON n.name = lower(w.category)
        GROUP BY d.description""")
    # Every eligible category gets a number, so that the monthly totals group by a number, not two strings.
    con.execute("""
        CREATE TABLE eligible_categories AS
        SELECT row_number() OVER (ORDER BY category, mandatory_area) AS category_id, category, mandatory_area
        FROM (SELECT category, mandatory_area FROM categories WHERE eligible
              UNION SELECT category, mandatory_area FROM art_map WHERE eligible
              UNION SELECT category, mandatory_area FROM supplier_map WHERE eligible
              UNION SELECT category, mandatory_area FROM item_type_map WHERE eligible
              UNION SELECT category, mandatory_area FROM description_map WHERE eligible)""")
    # Each map's classification as one value, so that the view takes the first key's with one coalesce.
    for table, rule in (("unspsc_map", "unspsc"), ("art_map", "art"), ("supplier_map", "leverandør"), ("item_type_map", "varetype"),
                        ("description_map", "tekst")):
        con.execute(f"""CREATE OR REPLACE TABLE {table} AS
            SELECT t.* EXCLUDE (rule_value, category, eligible, mandatory_area),
                   {{'rule': '{rule}', 'value': t.rule_value, 'category': t.category, 'eligible': t.eligible,
                     'mandatory_area': t.mandatory_area, 'category_id': c.category_id}} AS class
            FROM {table} t LEFT JOIN eligible_categories c
              ON t.eligible AND c.category = t.category AND c.mandatory_area IS NOT DISTINCT FROM t.mandatory_area""")


def _prefix_map(con: duckdb.DuckDBPyConnection, name: str, column: str, rules: str) -> None:
    """Table ``name``: each distinct value of ``column`` (invoice lines and card purchases) with the
    classification of the longest matching prefix among ``rules`` (a SELECT of prefix, category,
    eligible, mandatory_area); values no prefix matches are left out."""
    con.execute(f"""
        CREATE TABLE {name} AS
        WITH found AS (SELECT DISTINCT {column} FROM invoice_lines WHERE {column} IS NOT NULL
                       UNION SELECT DISTINCT {column} FROM card_transactions WHERE {column} IS NOT NULL)
        SELECT f.{column}, max(r.prefix) AS rule_value, arg_max(r.category, length(r.prefix)) AS category,
               arg_max(r.eligible, length(r.prefix)) AS eligible,
               arg_max(r.mandatory_area, length(r.prefix)) AS mandatory_area
        FROM found f JOIN ({rules}) r ON starts_with(f.{column}, r.prefix)
        GROUP BY f.{column} ORDER BY f.{column}""")


def unclassified_warning(con: duckdb.DuckDBPyConnection) -> str | None:
    """The ingest's warning about purchases no eligibility key classifies (from the ``purchases`` view)."""
    rows, amount = con.execute("SELECT count(*), coalesce(sum(amount), 0) FROM purchases"
                               " WHERE eligibility_rule IS NULL").fetchone()
    if not rows:
        return None
    total = con.execute("SELECT coalesce(sum(amount), 0) FROM purchases").fetchone()[0]
    share = f" ({amount / total:.1%} of all spend)" if total > 0 else ""
    return (f"{rows:,} loaded line(s) for {amount:,.2f} kr.{share} are classified by no eligibility key (no or an"
            " unknown UNSPSC code, and no rule of egnethed.csv (art, leverandør, varetype, tekst) covers them):"
            " they count as not e-handel eligible (category 'Uklassificeret'); above 10 % of the spend, reports"
            " rank units only with a stated reason (unclassified_reason)")
