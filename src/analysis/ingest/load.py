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
from dataclasses import dataclass, field
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
from .privacy import mask, mask_sql
from .provenance import fingerprint
from .readers import SourceFile, open_source
from .relations import MACROS, Relation, create_stage, empty_relation, is_csv, source_relation
from .schema import (AGREEMENTS, BUDGETS, CARD, CATEGORIES, COST_CENTRES, EHANDEL_TABLE, ELIGIBILITY_RULES, FILE_KINDS,
                     INVOICE_LINES, ORDER_TYPES, ORDERS, RULE_KEYS, UNITS, FileKind)
from .workspace import acquire_lock, release_lock, remove_abandoned_work, replace_database

UNKNOWN_UNIT_LIMIT = 0.5  # above this share of unknown buyer EANs a file is structurally wrong
WRONG_FILE_SHARE, WRONG_FILE_ROWS = 0.5, 20  # more than half of a file's rows (of 20 or more) with one problem
NO_ORDER_REFERENCES = ("", "n/a", "na", "-", "0", "ingen")
BLANK_ORDER_TYPE = "(tom)"
# A buyer named by another id than its EAN (a CVR endpoint), found in the units file's Øvrige ID.
BUYER_BY_ID = "(SELECT ean FROM unit_ids WHERE id = p_buyer_id)"
BUYER_ID_REASON = ("'is how the document names its buyer (no EAN): add it to the column \"Øvrige ID\" of its unit"
                   " in the units file'")
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
# The art in an accounting string (OIOUBL AccountingCost, e.g. "5.22.01.001-2.2-8000"): a single
# digit, a dot and one to three digits, standing apart from other dotted numbers.
ACCOUNTING_COST_ART = "nullif(replace(regexp_extract(p_accounting_cost, '(^|[^0-9.])([0-9]\\.[0-9]{1,3})([^0-9.]|$)', 2), '.', ''), '')"
# The curated files the ingest uses when the raw folder has none of its own.
DEFAULT_REFERENCE = {CATEGORIES: "kategorier.csv", ORDER_TYPES: "ordretyper.csv", ELIGIBILITY_RULES: "egnethed.csv"}


@dataclass
class FileResult:
    """Reconciliation of one raw file."""

    file: str
    kind: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    amount_read: Decimal
    amount_loaded: Decimal
    amount_quarantined: Decimal
    rows_unpriced: int = 0  # quarantined rows whose amount could not be read: not in the kroner above
    note: str = ""


@dataclass
class IngestReport:
    """What an ingest did: per-file reconciliation, problems found, and warnings."""

    database: Path
    files: list[FileResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # first quarantine messages, for the console
    warnings: list[str] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds), in order: where time goes
    fingerprint: str = ""  # of the raw files, reference files and ingest code (provenance.fingerprint)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


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
    if item.format == "xlsx":
        from .spreadsheets import open_xlsx

        return open_xlsx(item.path, item.kind, item.name, item.sheet)
    return open_source(item.path, item.kind, item.name, item.format)


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


def _complete_documents(con: duckdb.DuckDBPyConnection) -> None:
    """Document types inferred where the file has none, then credit notes given their sign."""
    _infer_document_type(con)
    _sign_credit_notes(con)


def _build_tables(con: duckdb.DuckDBPyConnection, raw_dir: Path, municipality: str, sources: list,
                  relations: dict[str, list[Relation]], report: IngestReport, step: Step, order_match: str) -> None:
    con.execute(
        "CREATE TABLE quarantine (file VARCHAR, line BIGINT, kind VARCHAR, column_name VARCHAR,"
        " value VARCHAR, reason VARCHAR, amount DECIMAL(18, 2))"
    )
    con.execute("CREATE TABLE blanked_values (file_order INTEGER, file VARCHAR, kind VARCHAR, column_name VARCHAR,"
                " reason VARCHAR, rows BIGINT, example VARCHAR)")
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
        load(UNITS, f"p_ean AS ean, {_free_text('p_name')} AS name, {_free_text('p_level1')} AS level1,"
                    f" {_free_text('p_level2')} AS level2, {_free_text('p_level3')} AS level3, {_free_text('p_level4')} AS level4,"
                    f" {_free_text('p_unit_type')} AS unit_type,"
                    " p_goods_budget AS goods_budget, p_municipality AS municipality, p_other_ids AS other_ids",
             [], blank_extra=[("goods_budget", "p_goods_budget < 0", "is negative")])
    else:
        with step("deriving units from the invoices' buyers"):
            _derive_units(con, relations[INVOICE_LINES.name] + relations[EHANDEL_TABLE.name], report)
    con.execute("UPDATE units SET municipality = ? WHERE municipality IS NULL", [municipality])
    _unit_ids(con, report)
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
            _budgets_to_units(con, report)
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
                 " p_supplier_cvr AS supplier_cvr, p_amount AS amount, p_order_type AS order_type", [],
         lookup=UNIT_LOOKUP, resolve=f"coalesce(p_buyer_ean, {BUYER_BY_ID}) AS p_buyer_ean",
         first=[("p_buyer_ean IS NULL AND p_buyer_id IS NOT NULL", "buyer_id", BUYER_ID_REASON)])

    document_type = ("CASE WHEN lower(p_document_type) IN ('faktura', 'invoice') THEN 'invoice'"
                     " WHEN lower(p_document_type) IN ('kreditnota', 'creditnote', 'credit_note', 'credit note')"
                     " THEN 'credit_note' END")
    no_ref = ", ".join(f"'{v}'" for v in NO_ORDER_REFERENCES)
    matched = " OR ".join(f"EXISTS (SELECT 1 FROM orders o WHERE o.order_id = p_order_ref AND {condition})"
                          for condition in ORDER_MATCHES[order_match][0])
    load(INVOICE_LINES, f"""
        p_invoice_no AS invoice_no, p_line_no AS line_no,
        p_invoice_date AS invoice_date, p_buyer_ean AS buyer_ean, p_supplier_cvr AS supplier_cvr,
        coalesce(p_supplier_cvr, {_free_text('p_supplier_id')}) AS supplier_id,
        {_free_text('p_supplier_name')} AS supplier_name, p_unspsc AS unspsc,
        {_free_text('p_description')} AS description,
        p_amount AS amount,
        CASE WHEN lower(coalesce(p_order_ref, '')) IN ({no_ref}) THEN NULL ELSE p_order_ref END AS order_ref,
        {_free_text('p_contract')} AS contract,
        lower(coalesce(p_order_ref, '')) NOT IN ({no_ref}) AND ({matched}) AS is_ehandel,
        {document_type} AS document_type, p_currency AS currency, p_accounting_cost AS accounting_cost,
        p_item_id AS item_id, p_profile_id AS profile_id, {_free_text('p_buyer_id')} AS buyer_id,
        p_item_type AS item_type, coalesce(p_art, {ACCOUNTING_COST_ART}) AS art, NULL::VARCHAR AS order_type""",
         [(f"p_document_type IS NOT NULL AND {document_type} IS NULL", "document_type",
           "'is not Faktura or Kreditnota'"),
          ("p_supplier_cvr IS NULL AND p_supplier_id IS NULL", "supplier_cvr",
           "'is missing (and no other supplier id is given)'"),
          ("p_currency IS NOT NULL AND upper(p_currency) <> 'DKK'", "currency",
           "'is not DKK: no exchange rate is applied, so the amount is not loaded as kroner'")],
         after=_complete_documents, keep_position=True, lookup=UNIT_LOOKUP,
         resolve=f"coalesce(p_buyer_ean, {BUYER_BY_ID},"
                 " (SELECT ean FROM unit_ids WHERE id = p_accounting_cost)) AS p_buyer_ean",
         first=[("p_buyer_ean IS NULL AND p_buyer_id IS NOT NULL", "buyer_id", BUYER_ID_REASON)])
    _list_cross_matches(con, report, order_match)
    if relations[EHANDEL_TABLE.name]:
        load(EHANDEL_TABLE, f"""
            p_invoice_no AS invoice_no, p_line_no AS line_no, p_invoice_date AS invoice_date, p_buyer_ean AS buyer_ean,
            p_supplier_cvr AS supplier_cvr, coalesce(p_supplier_cvr, {_free_text('p_supplier_name')}) AS supplier_id,
            {_free_text('p_supplier_name')} AS supplier_name, p_unspsc AS unspsc,
            {_free_text('p_description')} AS description, p_amount AS amount, {_free_text('p_contract')} AS contract,
            p_item_type AS item_type, p_art AS art, p_order_type AS order_type,
            (SELECT ehandel FROM order_types WHERE order_type = coalesce(lower(p_order_type), '{BLANK_ORDER_TYPE}'))
                AS is_ehandel,
            CASE WHEN p_amount < 0 THEN 'credit_note' ELSE 'invoice' END AS document_type,
            NULL::VARCHAR AS order_ref, NULL::VARCHAR AS currency, NULL::VARCHAR AS accounting_cost,
            NULL::VARCHAR AS item_id, NULL::VARCHAR AS profile_id, NULL::VARCHAR AS buyer_id""", [],
             keep_position=True, lookup=UNIT_LOOKUP)
        _refuse_unknown_order_types(con)
        if relations[INVOICE_LINES.name]:
            con.execute("INSERT INTO invoice_lines BY NAME SELECT * FROM ehandel_table")
            con.execute("DROP TABLE ehandel_table")
        else:  # the table is the purchases: renamed, not copied
            con.execute("DROP TABLE invoice_lines")
            con.execute("ALTER TABLE ehandel_table RENAME TO invoice_lines")
    load(CARD, "p_transaction_id AS transaction_id,"
               " p_transaction_date AS transaction_date, p_buyer_ean AS buyer_ean,"
               f" {_free_text('p_merchant_name')} AS merchant_name, p_merchant_cvr AS merchant_cvr, p_unspsc AS unspsc,"
               " p_amount AS amount, p_art AS art", [], keep_position=True, lookup=UNIT_LOOKUP)
    load(AGREEMENTS, f"{_free_text('p_contract')} AS contract, p_supplier_cvr AS supplier_cvr,"
                     " p_unspsc_prefix AS unspsc_prefix, p_binding AS binding,"
                     " p_valid_from AS valid_from, p_valid_to AS valid_to",
         [("p_valid_to < p_valid_from", "valid_to", "'is before valid_from'")])

    with step("classification maps and reconciliation"):
        _classification_maps(con)
        _reconcile(con, sources, counts, report)
        _check_structure(con, report, sources)
        _record_meta(con, raw_dir, municipality, order_match, report.fingerprint)


def _list_cross_matches(con: duckdb.DuckDBPyConnection, report: IngestReport, order_match: str) -> None:
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
        JOIN (SELECT order_id, min(buyer_ean) AS buyer_ean, min(supplier_cvr) AS supplier_cvr FROM orders
              GROUP BY order_id) o ON o.order_id = l.order_ref
        WHERE NOT l.is_ehandel
        GROUP BY ALL
        ORDER BY amount DESC, file, invoice_no""")
    lines, amount, invoices = con.execute("SELECT coalesce(sum(lines), 0), coalesce(sum(amount), 0), count(*)"
                                          " FROM order_cross_matches").fetchone()
    if lines:
        report.warnings.append(
            f"{lines:,} invoice line(s) on {invoices:,} invoice(s), {amount:,.2f} kr., quote the number of an e-handel"
            f" order placed by another buyer or with another supplier: not e-handel (order matching '{order_match}':"
            f" {ORDER_MATCHES[order_match][1]}); listed in the table order_cross_matches and in the status report")


def _refuse_unknown_order_types(con: duckdb.DuckDBPyConnection) -> None:
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


def _free_text(sql: str) -> str:
    """SQL: a free-text value as reports show it: every CPR-like number replaced (names of sole
    traders hold them) and every control character a space (a soft line break broke the Excel
    workbook, an ESC reached the terminal)."""
    cleaned = f"regexp_replace({mask_sql(sql)}, '{_CONTROL}', ' ', 'g')"
    return (f"CASE WHEN regexp_matches({sql}, '\\d{{6}}|{_CONTROL}') THEN {cleaned} ELSE {sql} END")
    # the guard: most values hold neither, and the replacing is the cost


def _derive_units(con: duckdb.DuckDBPyConnection, relations: list[Relation], report: IngestReport) -> None:
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
        FROM (SELECT p_buyer_ean AS ean, {_free_text('min(p_buyer_name)')} AS name, min(p_level1) AS level1,
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


def _budgets_to_units(con: duckdb.DuckDBPyConnection, report: IngestReport) -> None:
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


def _unit_ids(con: duckdb.DuckDBPyConnection, report: IngestReport) -> None:
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


def _classification_maps(con: duckdb.DuckDBPyConnection) -> None:
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


def _reconcile(con: duckdb.DuckDBPyConnection, sources: list, counts: dict[int, tuple], report: IngestReport) -> None:
    con.execute(
        "CREATE TABLE ingest_files (file VARCHAR, kind VARCHAR, rows_read BIGINT, rows_loaded BIGINT,"
        " rows_quarantined BIGINT, amount_read DECIMAL(18, 2), amount_loaded DECIMAL(18, 2),"
        " amount_quarantined DECIMAL(18, 2), rows_unpriced BIGINT, note VARCHAR)"
    )
    zero = Decimal("0.00")
    for (source, _), order in sources:
        row = counts.get(order, (0, 0, 0, zero, zero, zero, 0))
        blanked = [f"{source.headers.get(column, column)}: {rows:,} value(s) blanked, {reason} (e.g. '{example}')"
                   for column, reason, rows, example in con.execute(
                       "SELECT column_name, reason, rows, example FROM blanked_values WHERE file_order = ?"
                       " ORDER BY rows DESC, column_name", [order]).fetchall()]
        unpriced = (f"{row[6]:,} quarantined row(s) without a readable amount, so not in the kroner read"
                    if row[6] else "")
        note = "; ".join(n for n in (source.encoding_note, *source.notes, unpriced, *blanked) if n)
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
