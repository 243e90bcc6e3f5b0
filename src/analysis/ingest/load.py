"""Ingest a folder of raw exports into a new DuckDB file: validate, quarantine, reconcile, replace.

The database is always rebuilt from the whole raw folder into a temporary file next to the target
and moved into place only when everything succeeded, so re-ingesting the same files never
duplicates anything and a failed ingest leaves the previous database untouched.

Every row read ends up either loaded or in the ``quarantine`` table with its file, line, column,
value and reason; ``ingest_files`` holds the reconciliation (read = loaded + quarantined, in rows
and kroner) that the CLI prints and the briefings quote.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from .. import db
from ..formats import number
from ..paths import REFERENCE_DIR
from ..errors import InputError
from .checks import UNIT_LOOKUP, Lookup, check_and_load
from .csv_text import Utf8Text
from .discover import Discovery, Found, discover
from .einvoices import open_documents
from .model import (BLANK_ORDER_TYPE, ORDER_MATCHES, budgets_to_units, classification_maps, complete_documents,
                    derive_units, free_text, list_cross_matches, match_normalised_refs, refuse_unknown_order_types,
                    unclassified_warning, unit_ids)
from .privacy import mask
from .provenance import fingerprint
from .readers import SourceFile, open_source
from .relations import MACROS, Relation, create_stage, empty_relation, is_csv, source_relation
from .results import FileResult, IngestReport
from .schema import (AGREEMENTS, BUDGETS, CARD, CATEGORIES, COST_CENTRES, EHANDEL_TABLE, ELIGIBILITY_RULES, FILE_KINDS,
                     INVOICE_LINES, ORDER_TYPES, ORDERS, RULE_KEYS, UNITS, FileKind)
from .workspace import acquire_lock, release_lock, remove_abandoned_work, replace_database

UNKNOWN_UNIT_LIMIT = 0.5  # above this share of unknown buyer EANs a file is structurally wrong
WRONG_FILE_SHARE, WRONG_FILE_ROWS = 0.5, 20  # more than half of a file's rows (of 20 or more) with one problem
NO_ORDER_REFERENCES = ("", "n/a", "na", "-", "0", "ingen")
# A buyer named by another id than its EAN (a CVR endpoint), found in the units file's Øvrige ID.
BUYER_BY_ID = "(SELECT ean FROM unit_ids WHERE id = p_buyer_id)"
BUYER_ID_REASON = ("'is how the document names its buyer (no EAN): add it to the column \"Øvrige ID\" of its unit"
                   " in the units file'")
# The art in an accounting string (OIOUBL AccountingCost, e.g. "5.22.01.001-2.2-8000"): a single
# digit, a dot and one to three digits, standing apart from other dotted numbers.
ACCOUNTING_COST_ART = "nullif(replace(regexp_extract(p_accounting_cost, '(^|[^0-9.])([0-9]\\.[0-9]{1,3})([^0-9.]|$)', 2), '.', ''), '')"
# The curated files the ingest uses when the raw folder has none of its own.
DEFAULT_REFERENCE = {CATEGORIES: "kategorier.csv", ORDER_TYPES: "ordretyper.csv", ELIGIBILITY_RULES: "egnethed.csv"}


def read_reference(path: Path, kind: FileKind, extra: list[tuple[str, str, str]] | None = None) -> pd.DataFrame:
    """Read a small curated file (e.g. benchmark figures) with the ingest's parsing and checks.

    Unlike raw exports, a curated file must be right as a whole: any bad row stops with an
    InputError that lists every problem (file, line, column, value, reason).
    """
    source, chunks = open_source(Path(path), kind)
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA stage;" + MACROS)
        create_stage(con, kind)
        with tempfile.TemporaryDirectory() as scratch:
            text = Utf8Text(source, 0, Path(scratch)) if is_csv(source) else None
            if text is not None:
                text.prepare()
            relation = source_relation(con, source, 0, chunks, text)
            select = ", ".join(f"p_{c.name} AS {c.name}" for c in kind.columns)
            check_and_load(con, kind, [relation], select, extra or [])
        problems = con.execute(f"SELECT _line, problem.col, problem_value, problem.why FROM {kind.name}"
                               " WHERE problem IS NOT NULL ORDER BY _line").fetchall()
        if problems:
            raise InputError("\n".join(
                format_problem(source.name, line, source.headers.get(column, column) if column else None,
                               value, reason) for line, column, value, reason in problems))
        columns = ", ".join(c.name for c in kind.columns)
        return con.execute(f"SELECT {columns} FROM {kind.name} ORDER BY _line").df()
    finally:
        con.close()


Step = Callable[[str], AbstractContextManager[None]]


def _stepper(report: IngestReport, progress: Callable[[str], None]) -> Step:
    """A context manager per named step: announces it and records its seconds in ``report.steps``
    (a national-size ingest takes minutes; the analyst sees which step is running, the benchmark
    where the time goes)."""
    @contextmanager
    def step(name: str) -> Iterator[None]:
        progress(f"{name} ...")
        start = time.perf_counter()
        yield
        report.steps.append((name, time.perf_counter() - start))
    return step


def ingest(raw_dir: Path, database: Path, municipality: str | None = None,
           progress: Callable[[str], None] = lambda message: None, memory_limit: str | None = None,
           order_match: str = "both", raw_fingerprint: str | None = None) -> IngestReport:
    """Build ``database`` from the raw exports in ``raw_dir``; see the module docstring.

    ``memory_limit`` (e.g. "3GB") caps DuckDB's memory; beyond it DuckDB spills to the work folder.
    ``order_match``: what must agree between an invoice and the order it quotes (ORDER_MATCHES).
    ``raw_fingerprint``: the folder's fingerprint when the caller has just taken it (--if-changed).
    """
    if order_match not in ORDER_MATCHES:
        raise InputError(f"order matching: {order_match!r} is not one of {', '.join(ORDER_MATCHES)}")
    if memory_limit is not None and not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB)", memory_limit, re.IGNORECASE):
        raise InputError(f"memory limit: {memory_limit!r} is not a size such as 3GB")
    raw_dir, database = Path(raw_dir), Path(database)
    if not raw_dir.is_dir():
        raise InputError(f"{raw_dir}: raw data folder not found")
    if municipality is None:
        municipality = municipality_name(raw_dir)
    report = IngestReport(database=database)
    step = _stepper(report, progress)
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = acquire_lock(database)
    try:
        report.fingerprint = raw_fingerprint or fingerprint(raw_dir)  # before reading, so that a file changed meanwhile shows next time
        remove_abandoned_work(database)
        work = Path(tempfile.mkdtemp(prefix=f".{database.name}.{os.getpid()}.", dir=database.parent))
        building = work / database.name
        try:
            with step("finding the raw files"):
                found = discover(raw_dir, scratch=work)
                report.ignored_files = found.skipped_summary()
                _check_kinds(raw_dir, found)
                sources = [(open_found(item), order) for order, item in enumerate(_with_defaults(found))]
            con = duckdb.connect(str(building))
            try:
                if memory_limit:
                    con.execute(f"SET memory_limit = '{memory_limit}'")  # checked above: digits and a unit
                path = str(work / "stage.duckdb").replace("'", "''")  # scratch, deleted with the work folder
                con.execute(f"ATTACH '{path}' AS stage")
                con.execute(MACROS)
                relations: dict[str, list[Relation]] = {kind.name: [] for kind in FILE_KINDS}
                for kind in FILE_KINDS:
                    create_stage(con, kind)
                # One thread prepares the CSV files' text (Python) ahead while DuckDB reads the previous
                # one: Python's single-threaded file work would otherwise leave a core idle.
                pool = ThreadPoolExecutor(max_workers=1)
                try:
                    texts = {order: Utf8Text(source, order, work) for (source, _), order in sources if is_csv(source)}
                    for text in texts.values():
                        pool.submit(text.prepare)
                    readers_left = Counter(source.path for (source, _), _ in sources)
                    for (source, chunks), order in sources:
                        with step(f"reading {source.name}"):
                            relations[source.kind.name].append(
                                source_relation(con, source, order, chunks, texts.get(order)))
                        readers_left[source.path] -= 1
                        if source.format != "parquet" and source.path.parent == work and not readers_left[source.path]:
                            source.path.unlink()  # an unpacked copy, read (by every sheet): gone, as it may hold cardholders
                finally:
                    pool.shutdown(cancel_futures=True)
                _build_tables(con, raw_dir, municipality, sources, relations, report, step, order_match)
                con.execute("DETACH stage")
                with step("monthly totals and views"):
                    db.create_views(con)
                    warning = unclassified_warning(con)
                    if warning:
                        report.warnings.append(warning)
                with step("writing the database"):
                    con.execute("CHECKPOINT")
            finally:
                con.close()
            replace_database(building, database)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        release_lock(lock)
    return report


def municipality_name(raw_dir: Path) -> str:
    """The first line of ``kommune.txt`` (UTF-8, else cp1252; UTF-16 with its byte order mark, as
    Notepad saves "Unicode"; a BOM is dropped), else the folder's name."""
    name_file = raw_dir / "kommune.txt"
    if not name_file.exists():
        return raw_dir.name
    data = name_file.read_bytes()
    try:
        text = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    name = (text.strip().splitlines() or [raw_dir.name])[0].strip()
    return mask(name)  # a name file is free text too


def _check_kinds(raw_dir: Path, found: Discovery) -> None:
    """Stop before reading anything when a required kind has no source; say what was skipped."""
    present = {item.kind.name for item in found.sources}
    if EHANDEL_TABLE.name in present:  # a single-table export holds the purchases instead of invoice lines
        present.add(INVOICE_LINES.name)
    missing = [k for k in FILE_KINDS if k.required and k.name not in present]
    if missing:
        xml = {INVOICE_LINES.name: ", or Invoice/CreditNote XML documents", ORDERS.name: ", or Order XML documents"}
        names = "; ".join(f"{k.name} (a file named {' or '.join(p + '…' for p in k.prefixes)}, or any table whose"
                          f" header row has its columns{xml.get(k.name, '')})" for k in missing)
        skipped = found.skipped_summary()
        raise InputError(f"{raw_dir}: no source found for {names}"
                         + (f", or a single-table e-handel export ({EHANDEL_TABLE.prefixes[0]}…)"
                            if INVOICE_LINES in missing else "")
                         + ("\nSkipped:\n  " + "\n  ".join(skipped) if skipped else ""))


def _with_defaults(found: Discovery) -> list[Found]:
    """The raw sources, plus data/reference's curated file for each reference kind the folder lacks."""
    sources = list(found.sources)
    for kind, file_name in DEFAULT_REFERENCE.items():
        if not any(item.kind is kind for item in sources):
            sources.append(Found(kind, file_name, REFERENCE_DIR / file_name, "csv"))
    return sources


def open_found(item: Found) -> tuple[SourceFile, Iterator]:
    """Open a discovered source with its reader: check its header now, rows later."""
    if item.format == "xml":
        return open_documents(item.kind, list(item.documents), item.name, item.path)
    if item.format == "workbook":
        from .spreadsheets import open_workbook

        return open_workbook(item.path, item.kind, item.name, item.sheet)
    return open_source(item.path, item.kind, item.name, item.format)


def _build_tables(con: duckdb.DuckDBPyConnection, raw_dir: Path, municipality: str, sources: list,
                  relations: dict[str, list[Relation]], report: IngestReport, step: Step, order_match: str) -> None:
    con.execute(
        "CREATE TABLE quarantine (file VARCHAR, line BIGINT, kind VARCHAR, column_name VARCHAR,"
        " value VARCHAR, reason VARCHAR, amount DECIMAL(18, 2))"
    )
    con.execute("CREATE TABLE blanked_values (file_order INTEGER, file VARCHAR, kind VARCHAR, column_name VARCHAR,"
                " reason VARCHAR, rows BIGINT, example VARCHAR)")
    con.execute("CREATE TEMP TABLE export_totals (file_order INTEGER, line BIGINT, label VARCHAR, amount DECIMAL(18, 2),"
                " rows BIGINT, others DECIMAL(18, 2))")  # each file's own totals rows ("I alt"), see _total_note
    counts: dict[int, tuple] = {}  # per source (by its order): rows and kroner read, loaded, quarantined

    def load(kind: FileKind, select: str, extra: list[tuple[str, str, str]], after=None,
             keep_position: bool = False, lookup: Lookup | None = None, **options) -> None:
        with step(f"checking and loading {kind.name}"):
            check_and_load(con, kind, relations[kind.name] or [empty_relation(kind)], select, extra, counts,
                            after, keep_position, lookup, **options)

    load(CATEGORIES, "p_unspsc_prefix AS unspsc_prefix, p_category AS category,"
                     " p_eligible AS eligible, p_mandatory_area AS mandatory_area",
         [("NOT regexp_full_match(p_unspsc_prefix, '\\d{2}|\\d{4}|\\d{6}|\\d{8}')",
           "unspsc_prefix", "'is not 2, 4, 6 or 8 UNSPSC digits'")])
    load(ORDER_TYPES, f"coalesce(lower(p_order_type), '{BLANK_ORDER_TYPE}') AS order_type, p_ehandel AS ehandel,"
                      " p_note AS note", [])
    keys = ", ".join(f"'{key}'" for key in RULE_KEYS)
    load(ELIGIBILITY_RULES, "lower(p_rule_key) AS rule_key, CASE lower(p_rule_key) WHEN 'leverandør'"
                            " THEN regexp_replace(upper(p_value), '^DK\\s*', '') WHEN 'art' THEN replace(p_value, '.', '')"
                            " ELSE lower(p_value) END AS value,"
                            " p_eligible AS eligible, coalesce(p_category, p_value) AS category, p_note AS note",
         [(f"lower(p_rule_key) NOT IN ({keys})", "rule_key", f"'is not one of {', '.join(RULE_KEYS)}'"),
          ("lower(p_rule_key) = 'art' AND NOT regexp_full_match(replace(p_value, '.', ''), '\\d{1,4}')", "value",
           "'is not an art of the chart of accounts (e.g. 2.2 or 4)'")])
    if relations[UNITS.name]:
        load(UNITS, f"p_ean AS ean, {free_text('p_name')} AS name, {free_text('p_level1')} AS level1,"
                    f" {free_text('p_level2')} AS level2, {free_text('p_level3')} AS level3, {free_text('p_level4')} AS level4,"
                    f" {free_text('p_unit_type')} AS unit_type,"
                    " p_goods_budget AS goods_budget, p_municipality AS municipality, p_other_ids AS other_ids",
             [], blank_extra=[("goods_budget", "p_goods_budget < 0", "is negative")])
    else:
        with step("deriving units from the invoices' buyers"):
            derive_units(con, relations[INVOICE_LINES.name] + relations[EHANDEL_TABLE.name], report)
    con.execute("UPDATE units SET municipality = ? WHERE municipality IS NULL", [municipality])
    unit_ids(con, report)
    if relations[BUDGETS.name] or relations[COST_CENTRES.name]:
        if not (relations[BUDGETS.name] and relations[COST_CENTRES.name]):
            given, missing = ((BUDGETS, COST_CENTRES) if relations[BUDGETS.name] else (COST_CENTRES, BUDGETS))
            raise InputError(f"{given.label.lower()} ({given.prefixes[0]}…) without {missing.label.lower()}"
                             f" ({missing.prefixes[0]}…): the goods budgets per unit need both, the budget by cost"
                             " centre and the crosswalk from cost centres to EANs")
        load(BUDGETS, "p_cost_centre AS cost_centre, p_art AS art, p_year AS year, p_amount AS amount", [])
        load(COST_CENTRES, "p_cost_centre AS cost_centre, p_ean AS ean, p_share AS share",
             [("p_share < 0 OR p_share > 1", "share", "'is not a share from 0 to 1'")],
             lookup=Lookup("ean", "SELECT ean FROM units", "is not a unit in the units file"))
        with step("goods budgets from the budget file"):
            budgets_to_units(con, report)
    else:
        con.execute("CREATE TABLE budget_reconciliation (item VARCHAR, rows BIGINT, amount DECIMAL(18, 2))")
        if not con.execute("SELECT count(goods_budget) FROM units").fetchone()[0]:
            report.warnings.append("no goods budgets (no Varebudget in the units file, no budgetter… file): the"
                                   " penalty's budget key and cap are refused; use another key, add the budgets"
                                   " by cost centre (budgetter… and omkostningssteder…), or budget_basis spend")
    if not relations[ORDERS.name] and relations[INVOICE_LINES.name]:
        report.warnings.append("no orders (no ordrer… file, no Order XML documents): no invoice can be matched to"
                               " an e-handel order, so every e-handel rate is 0 %; add the e-handel system's order export")
    load(ORDERS, "p_order_id AS order_id, p_order_date AS order_date, p_buyer_ean AS buyer_ean,"
                 " p_supplier_cvr AS supplier_cvr, p_amount AS amount, p_order_type AS order_type, p_line_no AS line_no",
         [],
         lookup=UNIT_LOOKUP, resolve=f"coalesce(p_buyer_ean, {BUYER_BY_ID}) AS p_buyer_ean",
         first=[("p_buyer_ean IS NULL AND p_buyer_id IS NOT NULL", "buyer_id", BUYER_ID_REASON)])

    normalised: dict[int, tuple[int, str, str]] = {}

    def after_invoice_lines(con: duckdb.DuckDBPyConnection) -> None:
        normalised.update(match_normalised_refs(con, order_match))
        complete_documents(con)

    document_type = ("CASE WHEN lower(p_document_type) IN ('faktura', 'invoice') THEN 'invoice'"
                     " WHEN lower(p_document_type) IN ('kreditnota', 'creditnote', 'credit_note', 'credit note')"
                     " THEN 'credit_note' END")
    no_ref = ", ".join(f"'{v}'" for v in NO_ORDER_REFERENCES)
    matched = " OR ".join(f"EXISTS (SELECT 1 FROM orders o WHERE o.order_id = p_order_ref AND {condition})"
                          for condition in ORDER_MATCHES[order_match][0])
    load(INVOICE_LINES, f"""
        p_invoice_no AS invoice_no, p_line_no AS line_no,
        p_invoice_date AS invoice_date, p_buyer_ean AS buyer_ean, p_supplier_cvr AS supplier_cvr,
        coalesce(p_supplier_cvr, {free_text('p_supplier_id')}) AS supplier_id,
        {free_text('p_supplier_name')} AS supplier_name, p_unspsc AS unspsc,
        {free_text('p_description')} AS description,
        p_amount AS amount,
        CASE WHEN lower(coalesce(p_order_ref, '')) IN ({no_ref}) THEN NULL ELSE p_order_ref END AS order_ref,
        {free_text('p_contract')} AS contract,
        lower(coalesce(p_order_ref, '')) NOT IN ({no_ref}) AND ({matched}) AS is_ehandel,
        {document_type} AS document_type, p_currency AS currency, p_accounting_cost AS accounting_cost,
        p_item_id AS item_id, p_profile_id AS profile_id, {free_text('p_buyer_id')} AS buyer_id,
        p_item_type AS item_type, coalesce(p_art, {ACCOUNTING_COST_ART}) AS art, NULL::VARCHAR AS order_type""",
         [(f"p_document_type IS NOT NULL AND {document_type} IS NULL", "document_type",
           "'is not Faktura or Kreditnota'"),
          ("p_supplier_cvr IS NULL AND p_supplier_id IS NULL", "supplier_cvr",
           "'is missing (and no other supplier id is given)'"),
          ("p_currency IS NOT NULL AND upper(p_currency) <> 'DKK'", "currency",
           "'is not DKK: no exchange rate is applied, so the amount is not loaded as kroner'")],
         after=after_invoice_lines, keep_position=True, lookup=UNIT_LOOKUP,
         resolve=f"coalesce(p_buyer_ean, {BUYER_BY_ID},"
                 " (SELECT ean FROM unit_ids WHERE id = p_accounting_cost)) AS p_buyer_ean",
         first=[("p_buyer_ean IS NULL AND p_buyer_id IS NOT NULL", "buyer_id", BUYER_ID_REASON)])
    for (source, _), order in sources:
        if order in normalised:
            lines, ref, order_id = normalised[order]
            source.notes.append(f"{lines:,} line(s) name an e-handel order as written differently (case, spacing,"
                                f" a label such as 'Ordre nr.', leading zeros) or among several order numbers, e.g."
                                f" '{ref}' for order '{order_id}': matched as e-handel")
    list_cross_matches(con, report, order_match)
    if relations[EHANDEL_TABLE.name]:
        load(EHANDEL_TABLE, f"""
            p_invoice_no AS invoice_no, p_line_no AS line_no, p_invoice_date AS invoice_date, p_buyer_ean AS buyer_ean,
            p_supplier_cvr AS supplier_cvr, coalesce(p_supplier_cvr, {free_text('p_supplier_name')}) AS supplier_id,
            {free_text('p_supplier_name')} AS supplier_name, p_unspsc AS unspsc,
            {free_text('p_description')} AS description, p_amount AS amount, {free_text('p_contract')} AS contract,
            p_item_type AS item_type, p_art AS art, p_order_type AS order_type,
            (SELECT ehandel FROM order_types WHERE order_type = coalesce(lower(p_order_type), '{BLANK_ORDER_TYPE}'))
                AS is_ehandel,
            CASE WHEN p_amount < 0 THEN 'credit_note' ELSE 'invoice' END AS document_type,
            NULL::VARCHAR AS order_ref, NULL::VARCHAR AS currency, NULL::VARCHAR AS accounting_cost,
            NULL::VARCHAR AS item_id, NULL::VARCHAR AS profile_id, NULL::VARCHAR AS buyer_id""", [],
             keep_position=True, lookup=UNIT_LOOKUP)
        refuse_unknown_order_types(con)
        if relations[INVOICE_LINES.name]:
            con.execute("INSERT INTO invoice_lines BY NAME SELECT * FROM ehandel_table")
            con.execute("DROP TABLE ehandel_table")
        else:  # the table is the purchases: renamed, not copied
            con.execute("DROP TABLE invoice_lines")
            con.execute("ALTER TABLE ehandel_table RENAME TO invoice_lines")
    load(CARD, "p_transaction_id AS transaction_id,"
               " p_transaction_date AS transaction_date, p_buyer_ean AS buyer_ean,"
               f" {free_text('p_merchant_name')} AS merchant_name, p_merchant_cvr AS merchant_cvr, p_unspsc AS unspsc,"
               " p_amount AS amount, p_art AS art", [], keep_position=True, lookup=UNIT_LOOKUP)
    load(AGREEMENTS, f"{free_text('p_contract')} AS contract, p_supplier_cvr AS supplier_cvr,"
                     " p_unspsc_prefix AS unspsc_prefix, p_binding AS binding,"
                     " p_valid_from AS valid_from, p_valid_to AS valid_to",
         [("p_valid_to < p_valid_from", "valid_to", "'is before valid_from'")])

    with step("classification maps and reconciliation"):
        classification_maps(con)
        _reconcile(con, sources, counts, report)
        _check_structure(con, report, sources)
        _record_meta(con, raw_dir, municipality, order_match, report.fingerprint)


def _total_note(found: tuple | None) -> tuple[str, bool]:
    """What a file's own totals row ("I alt") says beside its other rows, and whether they differ.

    The row is quarantined as not a purchase (so its kroner are in the kroner read and quarantined);
    its amount checks that the file was read whole: a total that differs from the other rows may mean
    a cut-off or filtered export."""
    if found is None:
        return "", False
    line, label, amount, rows, others = found
    label = label.rstrip(":. ")
    which = (f"the export's own totals row (line {line:,}, “{label}”)" if rows == 1
             else f"the last of the export's {rows:,} totals rows (line {line:,}, “{label}”)")
    if amount is None:
        return f"{which} has no readable amount, so the other rows could not be checked against it", True
    if amount == others:
        return f"{which} says {amount:,.2f} kr., which the other rows add up to", False
    return (f"{which} says {amount:,.2f} kr., but the other rows add up to {others:,.2f} kr. (a difference of"
            f" {amount - others:,.2f} kr.): the export may be cut off or filtered, or its total cover other rows"), True


def _reconcile(con: duckdb.DuckDBPyConnection, sources: list, counts: dict[int, tuple], report: IngestReport) -> None:
    con.execute(
        "CREATE TABLE ingest_files (file VARCHAR, kind VARCHAR, rows_read BIGINT, rows_loaded BIGINT,"
        " rows_quarantined BIGINT, amount_read DECIMAL(18, 2), amount_loaded DECIMAL(18, 2),"
        " amount_quarantined DECIMAL(18, 2), rows_unpriced BIGINT, note VARCHAR)"
    )
    con.execute("CREATE TABLE ingest_totals (file VARCHAR, line BIGINT, label VARCHAR, amount DECIMAL(18, 2),"
                " rows BIGINT, others DECIMAL(18, 2))")  # each file's own totals row, for the reports
    zero = Decimal("0.00")
    for (source, _), order in sources:
        row = counts.get(order, (0, 0, 0, zero, zero, zero, 0))
        blanked = [f"{source.headers.get(column, column)}: {rows:,} value(s) blanked, {reason} (e.g. '{example}')"
                   for column, reason, rows, example in con.execute(
                       "SELECT column_name, reason, rows, example FROM blanked_values WHERE file_order = ?"
                       " ORDER BY rows DESC, column_name", [order]).fetchall()]
        unpriced = (f"{row[6]:,} quarantined row(s) without a readable amount, so not in the kroner read"
                    if row[6] else "")
        found = con.execute("SELECT line, label, amount, rows, others FROM export_totals WHERE file_order = ?",
                            [order]).fetchone()
        if found is not None:
            con.execute("INSERT INTO ingest_totals VALUES (?, ?, ?, ?, ?, ?)", [source.name, *found])
        total, differs = _total_note(found)
        warnings = [*source.warnings, *([total] if differs else [])]
        note = "; ".join(n for n in (source.encoding_note, *source.notes, *warnings, "" if differs else total, unpriced,
                                     *blanked) if n)
        report.warnings.extend(f"{source.name}: {warning}" for warning in warnings)
        result = FileResult(source.name, source.kind.name, *row, note=note)
        if (result.rows_loaded + result.rows_quarantined != result.rows_read
                or result.amount_loaded + result.amount_quarantined != result.amount_read):
            raise RuntimeError(f"{result.file}: reconciliation failed: {result}")  # a bug, never data
        report.files.append(result)
        con.execute("INSERT INTO ingest_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [result.file, result.kind, result.rows_read, result.rows_loaded, result.rows_quarantined,
                     result.amount_read, result.amount_loaded, result.amount_quarantined, result.rows_unpriced,
                     result.note])
    for file, line, column, value, reason in con.execute(
        "SELECT q.file, q.line, q.column_name, q.value, q.reason FROM quarantine q"
        " ORDER BY q.file, q.line LIMIT 20"
    ).fetchall():
        report.problems.append(format_problem(file, line, _header(sources, file, column), value, reason))


def _header(sources: list, file: str, column: str | None) -> str | None:
    """The column's header as written in the file, for messages the analyst can find in it."""
    if column is None:
        return None
    for (source, _), _order in sources:
        if source.name == file:
            return source.headers.get(column, column)
    return column


def format_problem(file: str, line: int, header: str | None, value: str | None, reason: str) -> str:
    """One quarantine message: file, line, column, value and reason."""
    if header is None:
        return f"{file} line {line}: {reason}"
    shown = "" if value is None else f" '{printable(value)}'"
    return f"{file} line {line}, column '{header}'{shown}: {reason}"


def printable(text: str) -> str:
    """A raw value as a message may show it: control characters written as escapes (\\x1b), so
    that a value can never move the cursor or recolour the analyst's terminal."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda match: match.group().encode("unicode_escape").decode(), text)


def _check_structure(con: duckdb.DuckDBPyConnection, report: IngestReport, sources: list) -> None:
    """Stop when a whole file is unusable, rather than quarantine nearly all of it."""
    if not con.execute("SELECT count(*) FROM units").fetchone()[0]:
        raise InputError("units file: no usable unit rows, so no purchase can be placed")
    for file, kind, read, unknown in con.execute("""
        SELECT f.file, f.kind, f.rows_read, count(q.line)
        FROM ingest_files f LEFT JOIN quarantine q
          ON q.file = f.file AND q.column_name = ? AND q.reason = ?
        GROUP BY ALL ORDER BY f.file""", [UNIT_LOOKUP.column, UNIT_LOOKUP.reason]).fetchall():
        if read and unknown / read > UNKNOWN_UNIT_LIMIT:
            raise InputError(
                f"{file}: {unknown} of {read} rows have a buyer EAN that is not in the units file;"
                " is the units file from the same municipality and period?"
            )
    for file, read, rows, reason, line, column, value in con.execute(f"""
        SELECT f.file, f.rows_read, q.n, q.reason, q.line, q.column_name, q.value
        FROM ingest_files f JOIN (
            SELECT file, reason, count(*) AS n, arg_min(line, line) AS line, arg_min(column_name, line) AS column_name,
                   arg_min(value, line) AS value
            FROM quarantine WHERE NOT starts_with(reason, 'duplicate of') GROUP BY file, reason) q USING (file)
        WHERE f.rows_read >= {WRONG_FILE_ROWS} AND q.n > {WRONG_FILE_SHARE} * f.rows_read
        ORDER BY f.file, q.n DESC LIMIT 1""").fetchall():
        raise InputError(f"{file}: {rows:,} of its {read:,} rows have the same problem, so the file as a whole looks"
                         f" wrong rather than some rows: {format_problem(file, line, _header(sources, file, column), value, reason)}"
                         + _fix_hint(value))
    for file, read, quarantined in con.execute(f"""
        SELECT f.file, f.rows_read, count(*) FROM ingest_files f JOIN quarantine q USING (file)
        WHERE NOT starts_with(q.reason, 'duplicate of') AND f.rows_read >= {WRONG_FILE_ROWS}
        GROUP BY ALL HAVING count(*) > {WRONG_FILE_SHARE} * f.rows_read ORDER BY f.file LIMIT 1""").fetchall():
        reasons = con.execute("""
            SELECT count(*), reason FROM quarantine WHERE file = ? AND NOT starts_with(reason, 'duplicate of')
            GROUP BY reason ORDER BY 1 DESC, 2 LIMIT 3""", [file]).fetchall()
        raise InputError(f"{file}: {quarantined:,} of its {read:,} rows could not be used, so the file as a whole looks"
                         " wrong (or is from another system or period) rather than some rows; the most common reasons: "
                         + "; ".join(f"{rows:,} row(s) {printable(reason)}" for rows, reason in reasons))
    loaded = con.execute("SELECT count(*) FROM invoice_lines").fetchone()[0]
    if not loaded:
        reasons = con.execute("""
            SELECT n, reason, file, line, column_name, value FROM (
                SELECT *, count(*) OVER (PARTITION BY reason) AS n,
                       row_number() OVER (PARTITION BY reason ORDER BY file, line) AS k
                FROM quarantine WHERE kind = 'invoice_lines')
            WHERE k = 1 ORDER BY n DESC, reason LIMIT 5""").fetchall()
        detail = "".join(f"\n  {rows:,} row(s): {format_problem(file, line, _header(sources, file, column), value, reason)}"
                         for rows, reason, file, line, column, value in reasons)
        raise InputError("invoice lines: no usable rows were loaded"
                         + (f"; the most common reasons, each with an example:{detail}" if detail else ""))


def _fix_hint(value: str | None) -> str:
    """How to repair a file that an export tool damaged in a recognisable way."""
    if value and re.fullmatch(r"-?\d+([.,]\d+)?[eE][+-]?\d+", value.strip()):
        return (". The value is a number in scientific notation, as Excel writes long numbers (EANs, CVRs, invoice"
                " numbers): format the column as text before saving, or take the export from the source system")
    return ""


def _record_meta(con: duckdb.DuckDBPyConnection, raw_dir: Path, municipality: str, order_match: str,
                 raw_fingerprint: str) -> None:
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany("INSERT INTO meta VALUES (?, ?)", [
        ["municipality", municipality],
        ["raw_dir", str(raw_dir.resolve())],
        ["fingerprint", raw_fingerprint],
        ["ingested_at", datetime.now(timezone.utc).isoformat(timespec="seconds")],
        ["synthetic", "ja" if (raw_dir / "SYNTETISK.txt").exists() else "nej"],
        ["schema_version", str(db.SCHEMA_VERSION)],
        ["count_rate", _count_rate_note(con)],
        ["order_match", order_match],
        ["budget_source", _budget_source(con)],
    ])


def _budget_source(con: duckdb.DuckDBPyConnection) -> str:
    """Where the units' goods budgets come from: 'budgetfil', 'enhedsfil', or 'ingen'."""
    if con.execute("SELECT count(*) FROM budget_reconciliation").fetchone()[0]:
        return "budgetfil"
    return "enhedsfil" if con.execute("SELECT count(goods_budget) FROM units").fetchone()[0] else "ingen"


def _count_rate_note(con: duckdb.DuckDBPyConnection) -> str:
    """'ja' when every purchase line names its invoice, else why the count-based rate cannot be computed."""
    rows = con.execute("SELECT count(*) FROM invoice_lines WHERE invoice_no IS NULL").fetchone()[0]
    if not rows:
        return "ja"
    return (f"{number(rows)} fakturalinje(r) har intet fakturanummer (en e-handelstabel uden fakturanumre), så"
            " fakturaerne kan ikke tælles: e-handelsprocenten opgøres kun i kroner")
