"""Each source's rows as one SELECT of the same shape for every source of a kind, read by DuckDB.

A Parquet file is read by DuckDB as it is; a CSV file by DuckDB's parallel reader from its text in
one encoding (``csv_text``) where that is exact; anything else (broken lines, quoted newlines, XML
documents, workbooks) by the Python reader into a stage table. Every column arrives as its trimmed
text and its parsed value, so one set of checks (``load``) quarantines bad values from any source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from .csv_text import Utf8Text
from .readers import FIELD_SHIFT_HINT, MAX_LINE_BYTES, SourceFile, parquet_glob
from .schema import FileKind

# A date with its time of day, as a system that stores timestamps writes it: 2025-01-10 00:00:00,
# 2025-01-10T08:30:00Z, 10-01-2025 13.45 (the date is taken; the time says nothing about the period).
_DATE_TIME = ("(\\d{{4}}-\\d{{2}}-\\d{{2}}|\\d{{2}}[-.]\\d{{2}}[-.]\\d{{4}})[ T]\\d{{2}}[:.]\\d{{2}}"
              "([:.]\\d{{2}}(\\.\\d+)?)?(Z|[+-]\\d{{2}}:?\\d{{2}})?")
# Parsing of each column kind from text. {c} is the column's text, already trimmed (once: a
# sub-expression repeated inside a CASE is computed again); all values stay in the data.
_PARSE = {
    "text": "nullif({c}, '')",
    "id": "nullif({c}, '')",
    "personal": "NULL",
    "int": "try_cast({c} AS BIGINT)",
    "date": "coalesce(try_strptime({c}, '%d-%m-%Y'), try_strptime({c}, '%Y-%m-%d'), try_strptime({c}, '%d.%m.%Y'),"
            f" CASE WHEN regexp_full_match({{c}}, '{_DATE_TIME}') THEN coalesce(try_strptime(left({{c}}, 10), '%Y-%m-%d'),"
            " try_strptime(left({c}, 10), '%d-%m-%Y'), try_strptime(left({c}, 10), '%d.%m.%Y')) END,"
            " CASE WHEN regexp_full_match({c}, '(19|20)\\d{{6}}') THEN try_strptime({c}, '%Y%m%d') END)::DATE",
    "amount": "exact_amount({c})",
    "ean": "nullif({c}, '')",
    "cvr": "nullif(regexp_replace(upper({c}), '^DK\\s*', ''), '')",
    "unspsc": "nullif({c}, '')",
    "art": "nullif(replace({c}, '.', ''), '')",  # 2.2 and 22 are the same art
    "flag": "CASE WHEN lower({c}) IN ('ja', 'j', 'yes', 'y', 'true', '1', 'x') THEN TRUE"
            " WHEN lower({c}) IN ('nej', 'n', 'no', 'false', '0') THEN FALSE END",
}
# Danish amounts: decimal comma, optional thousands dots (1.234,50), at most two decimals beyond
# trailing zeros (øre: 100,555 is refused, never rounded). A value that is not plain is tried once
# more in the other spellings Danish exports use (danish_amount_text): "1.234,50 kr.", a trailing
# minus (SAP/KMD "1.234,50-"), accounting parentheses, the Unicode minus, spaces as thousands.
_DANISH_PLAIN = "-?(\\d{{1,3}}(\\.\\d{{3}})+|\\d+)(,\\d{{1,2}}0*)?"
# Scientific notation (1,2345E+03, as Excel writes a General cell) is read when it is exact to the øre.
_DANISH_AMOUNT = (f"CASE WHEN regexp_full_match({{c}}, '{_DANISH_PLAIN}')"
                  " THEN try_cast(replace(replace({c}, '.', ''), ',', '.') AS DECIMAL(18, 2))"
                  " WHEN regexp_full_match({c}, '-?\\d+(,\\d+)?[eE][-+]?\\d+') THEN exact_amount(replace({c}, ',', '.'))"
                  " ELSE try_cast(replace(replace(danish_amount_text({c}), '.', ''), ',', '.') AS DECIMAL(18, 2)) END")
_TYPES = {"text": "VARCHAR", "id": "VARCHAR", "personal": "VARCHAR", "int": "BIGINT", "date": "DATE",
          "amount": "DECIMAL(18, 2)", "ean": "VARCHAR", "cvr": "VARCHAR", "unspsc": "VARCHAR", "art": "VARCHAR", "flag": "BOOLEAN"}
# Parquet column types taken as they are for a column kind (anything else is read as text and parsed).
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
_NATIVE = {"int": _INTEGERS, "date": ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"),
           "amount": (*_INTEGERS, "DOUBLE", "FLOAT", "DECIMAL"), "flag": ("BOOLEAN",)}

MACROS = """
CREATE OR REPLACE TEMP MACRO gln_digit(n, i) AS (n // (10::BIGINT ** (13 - i))::BIGINT) % 10;
CREATE OR REPLACE TEMP MACRO gln_check(n) AS
  (10 - (3 * (gln_digit(n, 2) + gln_digit(n, 4) + gln_digit(n, 6) + gln_digit(n, 8) + gln_digit(n, 10)
              + gln_digit(n, 12))
         + gln_digit(n, 1) + gln_digit(n, 3) + gln_digit(n, 5) + gln_digit(n, 7) + gln_digit(n, 9)
         + gln_digit(n, 11)) % 10) % 10 = n % 10;
CREATE OR REPLACE TEMP MACRO gln_check_digit_ok(e) AS gln_check(TRY_CAST(e AS BIGINT));
CREATE OR REPLACE TEMP MACRO exact_amount(t) AS  -- a decimal-point amount, NULL unless exact to the øre
  CASE WHEN try_cast(t AS DECIMAL(38, 10)) = try_cast(t AS DECIMAL(18, 2)) THEN try_cast(t AS DECIMAL(18, 2)) END;
CREATE OR REPLACE TEMP MACRO amount_spaced(t) AS  -- thousands apart by a space: 1 234,50
  CASE WHEN regexp_full_match(t, '[-(\u2212]?\\d{1,3}([ \u00a0]\\d{3})+(,\\d+)?[-)]?')
       THEN replace(replace(t, chr(160), ''), ' ', '') ELSE t END;
CREATE OR REPLACE TEMP MACRO amount_unsigned(t) AS amount_spaced(regexp_replace(t, '\\s*(kr\\.?|dkk)$', '', 'i'));
CREATE OR REPLACE TEMP MACRO amount_signed(t) AS
  CASE WHEN regexp_full_match(t, '\\(-?[^()-]+\\)') THEN '-' || t[2:-2]
       WHEN ends_with(t, '-') AND NOT starts_with(t, '-') THEN '-' || t[:-2]
       ELSE replace(t, chr(8722), '-') END;
CREATE OR REPLACE TEMP MACRO order_key(r) AS  -- an order number as both sides write it (model.match_normalised_refs)
  nullif(ltrim(regexp_replace(regexp_replace(upper(trim(r)),
      '^(INDKØBSORDRE|ORDRE|ORDER|PO|REKVISITION|REKV|BESTILLING)[ .]*(NUMMER|NUMBER|NR|NO)?[ .:#]+', ''),
    '[^0-9A-ZÆØÅ]', '', 'g'), '0'), '');
CREATE OR REPLACE TEMP MACRO danish_amount_text(c) AS
  CASE WHEN regexp_full_match(amount_signed(amount_unsigned(c)), '-?(\\d{1,3}(\\.\\d{3})+|\\d+)(,\\d{1,2}0*)?')
       THEN amount_signed(amount_unsigned(c)) END;
"""


def stage_table(kind: FileKind) -> str:
    return f"stage.{kind.name}"


def create_stage(con: duckdb.DuckDBPyConnection, kind: FileKind) -> None:
    """The table for rows that the Python reader reads (files DuckDB's readers cannot read exactly)."""
    columns = ", ".join(f"{c.name} VARCHAR" for c in kind.columns)
    con.execute(f"CREATE TABLE {stage_table(kind)} (_file VARCHAR, _file_order INTEGER, _line BIGINT,"
                f" _error VARCHAR, {columns})")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass
class Relation:
    """A SELECT giving one source's rows in the same columns for every source of a kind: ``_file``,
    ``_file_order``, ``_line``, ``_error``, each column's text, trimmed (named as the column; NULL where
    the source already holds a typed value) and its parsed value ``p_<column>``."""

    sql: str
    parameters: list
    scratch_table: str | None = None  # dropped once the kind is loaded


def as_relation(source: SourceFile, inner: str, parameters: list,
              types: dict[str, str] | None = None) -> Relation:
    """Wrap ``inner`` (a SELECT with ``_file``, ``_file_order``, ``_line``, ``_error`` and one column
    per present canonical column, holding the source's value) into the common shape.

    A Parquet column already of the kind's type (a DATE for a date) is taken as it is; anything
    else is read as text and parsed, with the source's decimal convention for amounts.
    """
    types = types or {}
    raw, typed, parsed = [], [], []
    for column in source.kind.columns:
        target = _TYPES[column.kind]
        name = column.name
        if name not in source.headers:
            raw.append(f"NULL::VARCHAR AS {name}")
            parsed.append(f"NULL::{target} AS p_{name}")
        elif types.get(name, "VARCHAR").split("(")[0] in _NATIVE.get(column.kind, ()):
            raw.append(f"NULL::VARCHAR AS {name}")
            typed.append(f"_v.{name} AS _typed_{name}")
            value = f"try_cast(_typed_{name} AS {target})"
            if column.kind == "amount":  # a number with more than two decimals is quarantined, never rounded
                value = f"CASE WHEN round(_typed_{name}, 2) = _typed_{name} THEN {value} END"
            parsed.append(f"{value} AS p_{name}")
        else:
            text = f"CAST(_v.{name} AS VARCHAR)" if types.get(name, "VARCHAR") != "VARCHAR" else f"_v.{name}"
            raw.append(f"trim({text}) AS {name}")
            rule = _DANISH_AMOUNT if column.kind == "amount" and source.decimal == "," else _PARSE[column.kind]
            parsed.append(f"CAST({rule.format(c=name)} AS {target}) AS p_{name}")
    names = ", ".join(c.name for c in source.kind.columns)
    sql = (f"SELECT _file, _file_order, _line, _error, {names}, {', '.join(parsed)} FROM ("
           f"SELECT _v._file, _v._file_order, _v._line, _v._error, {', '.join(raw + typed)} FROM ({inner}) _v)")
    return Relation(sql, parameters)


def _parquet_relation(con: duckdb.DuckDBPyConnection, source: SourceFile, order: int) -> Relation:
    """A Parquet file, or a partitioned folder of them, read by DuckDB; every row names its file."""
    pattern = parquet_glob(source.path)
    if source.path.is_dir():  # each row names its partition file, relative to the raw folder
        file_name, constants = "? || substr(filename, ?)", [source.name, len(str(source.path)) + 2]
    else:
        file_name, constants = "?", [source.name]
    reader = "read_parquet(?, file_row_number = true, filename = true, union_by_name = true)"
    types = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {reader}", [pattern]).fetchall()}
    selected = ", ".join(f"{_quote(header)} AS {name}" for name, header in source.headers.items())
    inner = (f"SELECT {file_name} AS _file, ? AS _file_order, file_row_number + 1 AS _line, NULL::VARCHAR AS _error,"
             f" {selected} FROM {reader}")
    return as_relation(source, inner, [*constants, order, pattern],
                     {name: types[header] for name, header in source.headers.items()})


_NO_VALUE = "\x01\x02\x03"  # DuckDB's null string: a field is '' when empty, NULL only when missing


def _read_parts(con: duckdb.DuckDBPyConnection, table: str, text: Utf8Text, delimiter: str, skip: int,
                columns: str) -> int | None:
    """Read ``text`` part after part into ``table``; the rows read, None when DuckDB refuses a part
    (the rest of the parts is only taken and deleted)."""
    read = (f"SELECT * FROM read_csv(?, delim = ?, header = false, skip = ?, columns = {columns}, quote = '\"',"
            f" escape = '\"', strict_mode = true, auto_detect = false, null_padding = true, nullstr = ?,"
            f" max_line_size = {MAX_LINE_BYTES}, encoding = '{text.encoding}')")
    readable, number = True, -1
    for number, part in enumerate(text.parts()):
        try:
            if readable:
                con.execute(f"CREATE TEMP TABLE {table.split('.')[1]} AS {read}" if number == 0
                            else f"INSERT INTO {table} {read}", [str(part), delimiter, skip if number == 0 else 0, _NO_VALUE])
        except duckdb.Error:
            readable = False
        finally:
            text.done_with(part)
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] if readable and number >= 0 else None


def _guards_fit(con: duckdb.DuckDBPyConnection, table: str, fields: int) -> bool:
    """Whether an Excel-guarded file read with ``;=`` as its separator split as its guards say: every
    row has its fields and a guarded first one. A field not guarded (``;123;``) or ``;=`` inside a
    value (``="a;=b"``) shows as a row of the wrong length, and the file is read again unguarded."""
    wrong = con.execute(f"SELECT count(*) FROM {table} WHERE f{fields} IS NOT NULL OR f{fields - 1} IS NULL"
                        " OR NOT (f0 LIKE '=\"%\"' OR f0 IN ('=', ''))").fetchall()[0][0]
    return wrong == 0


def _csv_relation(con: duckdb.DuckDBPyConnection, source: SourceFile, order: int, text: Utf8Text) -> Relation | None:
    """The source's UTF-8 ``text`` read by DuckDB's parallel CSV reader, part after part, into a
    scratch table whose row ids give the line numbers; None when that cannot be exact: the text
    could not be made (a line too long), DuckDB refuses a part, or a record spans lines (line
    numbers would drift).

    DuckDB takes a line with one empty field too many (``a;b;c;`` for three columns) as a full
    row, so a ``;`` inside an unquoted value shifted every later field into the wrong column. The
    file is therefore read with one column more than the header, padded with NULL: a row with a
    value there has too many fields, one with NULL in the header's last column too few, and either
    is quarantined with the reason, as the Python reader does.

    An Excel-guarded file (``="a";="b"``) is read with the separator and ``=`` as one separator, so
    the guards need no rewriting (that pass took a third of a KMD table's reading); only the first
    field keeps its ``="…"``, removed here. Where the guards do not split the file that way, it is
    read again from a copy with the guards rewritten.
    """
    fields = source.fields
    columns = "{" + ", ".join(f"'f{i}': 'VARCHAR'" for i in range(fields + 1)) + "}"
    table = f"temp.csv_{order}"
    while True:
        guarded = source.guarded and text.keeps_guards
        rows = _read_parts(con, table, text, source.delimiter + ("=" if guarded else ""), source.header_lines, columns)
        if text.in_place and not text.fits:  # the file changes encoding after its first block: a copy reads it
            again = Utf8Text(source, order, text.copy.parent, keep_guards=text.keeps_guards, in_place=False)
        elif guarded and rows is not None and not _guards_fit(con, table, fields):
            again = Utf8Text(source, order, text.copy.parent, keep_guards=False, in_place=False)
        else:
            break
        con.execute(f"DROP TABLE IF EXISTS {table}")
        again.prepare()
        text = again
    if text.lines is None or rows is None or rows + source.header_lines != text.lines:  # blank lines, quoted newlines
        con.execute(f"DROP TABLE IF EXISTS {table}")
        return None
    if text.cp1252_lines:
        source.encoding_note = f"{text.cp1252_lines:,} line(s) read as cp1252"
    present = " + ".join(f"(f{i} IS NOT NULL)::INTEGER" for i in range(fields))
    expected = f"expected {fields} fields separated by '{source.delimiter}', found "
    error = f"CASE WHEN f{fields} IS NOT NULL THEN ? WHEN f{fields - 1} IS NULL THEN ? || ({present}) END"
    values = {position: f"coalesce(f{position}, '')" for position in source.positions.values()}
    if guarded:
        values[0] = "CASE WHEN f0 LIKE '=\"%\"' THEN replace(f0[3:-2], '\"\"', '\"') ELSE '' END"
    selected = ", ".join(f"CASE WHEN _error IS NULL THEN {values[position]} END AS {name}"
                         for name, position in source.positions.items())
    inner = (f"SELECT ? AS _file, ? AS _file_order, _row + 1 + ? AS _line, _error, {selected}"
             f" FROM (SELECT *, rowid AS _row, {error} AS _error FROM {table})")
    relation = as_relation(source, inner, [source.name, order, source.header_lines,
                                         f"{expected}more ({FIELD_SHIFT_HINT})", expected])
    relation.scratch_table = table
    return relation


def is_csv(source: SourceFile) -> bool:
    return source.format == "csv"


def source_relation(con: duckdb.DuckDBPyConnection, source: SourceFile, order: int, chunks,
                     text: Utf8Text | None) -> Relation:
    """How a source's rows are read: by DuckDB's own (parallel) readers where that is exact (a CSV
    file from its UTF-8 ``text``), else by the Python reader (cp1252 lines decoded line by line,
    broken lines and quoted newlines kept apart) into the stage table."""
    if source.format == "parquet":
        return _parquet_relation(con, source, order)
    relation = None if text is None else _csv_relation(con, source, order, text)
    if relation is not None:
        return relation
    table = stage_table(source.kind)
    for chunk in chunks:
        con.register("chunk", chunk)
        if "_file" in chunk.column_names:  # each row names its own file (an XML document)
            con.execute(f"INSERT INTO {table} BY NAME SELECT *, ? AS _file_order FROM chunk", [order])
        else:
            con.execute(f"INSERT INTO {table} BY NAME SELECT *, ? AS _file, ? AS _file_order FROM chunk",
                        [source.name, order])
        con.unregister("chunk")
    columns = ", ".join(c.name for c in source.kind.columns if c.name in source.headers)
    return as_relation(source, f"SELECT _file, _file_order, _line, _error, {columns} FROM {table}"
                     " WHERE _file_order = ?", [order])


def empty_relation(kind: FileKind) -> Relation:
    """No rows of an optional kind (e.g. no agreements file), in the common shape."""
    source = SourceFile(Path(kind.name), kind, {c.name: c.name for c in kind.columns}, decimal=".")
    columns = ", ".join(c.name for c in kind.columns)
    return as_relation(source, f"SELECT _file, _file_order, _line, _error, {columns} FROM {stage_table(kind)}"
                       " WHERE false", [])
