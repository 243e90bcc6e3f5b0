"""Export quirks at random positions, checked against an independent reading of each file (issue #21).

Hypothesis writes a raw folder of up to four invoice files. Each file gets file-level quirks (UTF-8
with or without BOM, cp1252, Excel's UTF-16 "Unicode text", gzip, `;` or tab, CRLF or LF, a
trailing blank line that sends it through the Python reader) and each row one row-level quirk
(every Danish amount spelling, scientific notation, three decimals, an ambiguous `1.50`, an
unquoted separator in a description, a control character or a CPR number in a supplier name, an
impossible date). The oracle below knows, from how it wrote each row, whether the row must load
and with which amount in øre, or be quarantined with readable kroner or none. The ingest must then
agree on every row and krone, reconcile read = loaded + quarantined per file, and stop with an
InputError (never a traceback) exactly where a file is mostly one problem or nothing is usable.

A *case* is one quirk at one position: a row-level quirk in a row, or a file-level one in a file.
The fast test runs a few folders; the slow one (``-m slow``) runs enough for well over 10,000 cases
(it prints the count) in a few minutes.
"""

from __future__ import annotations

import gzip
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from helpers import CVR, EANS, LINE_HEADER, minimal_raw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.ingest import ingest
from analysis.ingest.load import WRONG_FILE_ROWS, WRONG_FILE_SHARE
from analysis.ingest.privacy import CPR_PATTERN

LOADED = ["plain", "kr", "trailing_minus", "parentheses", "unicode_minus", "space_thousands", "nbsp_thousands",
          "sci", "control_char", "cpr_in_name"]
QUARANTINED = {"three_decimals": "amount", "ambiguous_point": "amount", "shift": "shift", "bad_date": "date"}
ROW_QUIRKS = LOADED * 3 + list(QUARANTINED)  # loadable rows are the usual case, as in real files


@dataclass
class Row:
    invoice_no: str
    fields: list[str]
    load: bool
    ore: int  # the amount the oracle reads, in øre (0 when unreadable)
    readable: bool  # whether a quarantined row's amount can be read (counted in its kroner)
    problem: str | None  # the group of reasons a quarantined row falls in


def _danish(ore: int, thousands: str = ".") -> str:
    kroner, rest = divmod(abs(ore), 100)
    return f"{kroner:,}".replace(",", thousands) + f",{rest:02d}"


def _scientific(ore: int) -> str:
    """An amount in Excel's scientific notation with a decimal comma, exactly its value."""
    digits = str(abs(ore)).lstrip("0") or "0"
    exponent = len(digits) - 1 - 2  # the value is digits × 10^-2
    mantissa = digits.rstrip("0") or "0"
    return ("-" if ore < 0 else "") + mantissa[0] + ("," + mantissa[1:] if len(mantissa) > 1 else "") + f"E{exponent:+03d}"


def _amount(quirk: str, ore: int, encoding: str) -> str:
    sign = "-" if ore < 0 else ""
    if quirk == "kr":
        return sign + _danish(ore) + " kr."
    if quirk == "trailing_minus" and ore < 0:
        return _danish(ore) + "-"
    if quirk == "parentheses" and ore < 0:
        return f"({_danish(ore)})"
    if quirk == "unicode_minus" and ore < 0 and encoding != "cp1252":  # cp1252 has no U+2212
        return "\u2212" + _danish(ore)
    if quirk in ("space_thousands", "nbsp_thousands") and abs(ore) >= 100_000:
        return sign + _danish(ore, " " if quirk == "space_thousands" else "\u00a0")
    if quirk == "sci":
        return _scientific(ore)
    return sign + _danish(ore)


def _row(file: int, number: int, quirk: str, ore: int, encoding: str, delimiter: str, contract: str) -> Row:
    invoice_no = f"F{file}-{number}"
    supplier, date, description = "Kontor A/S", "15-03-2025", "Blæk og papir €"
    amount, load, readable, problem = _amount(quirk, ore, encoding), True, True, None
    if quirk == "control_char":
        supplier = "Kontor\x0bA/S\x1b"
    elif quirk == "cpr_in_name":
        supplier = "Jens Hansen 010190-1234"
    elif quirk == "three_decimals":
        amount, load, readable, problem = _danish(ore) + "5", False, False, "amount"
    elif quirk == "ambiguous_point":
        amount, load, readable, problem = f"{abs(ore) // 100 % 10}.{abs(ore) % 100:02d}", False, False, "amount"
    elif quirk == "bad_date":
        date, load, problem = "31-02-2025", False, "date"
    fields = [invoice_no, "1", date, EANS[number % 2], CVR, supplier, "44121701", description, amount, "N/A", contract]
    if quirk == "shift":  # a separator inside the description, unquoted: one field too many
        fields[7:8] = ["Batterier AA", "4"]
        load, readable, problem = False, False, "shift"
    return Row(invoice_no, fields, load, ore if readable else 0, readable, problem)


@st.composite
def raw_files(draw) -> list[dict]:
    files = []
    for file in range(draw(st.integers(1, 4))):
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
        delimiter = draw(st.sampled_from([";", "\t"]))
        quirks = draw(st.lists(st.sampled_from(ROW_QUIRKS), min_size=1, max_size=60))
        rows = []
        for number, quirk in enumerate(quirks):
            if delimiter == "\t" and quirk == "ambiguous_point":
                quirk = "plain"  # a tab file takes the decimal mark its amounts show: 1.50 is not ambiguous there
            ore = draw(st.integers(-5_000_000, 50_000_000).filter(lambda v: v != 0))
            contract = draw(st.sampled_from(["", "Fællesaftale Kontor"]))
            rows.append(_row(file, number, quirk, ore, encoding, delimiter, contract))
        files.append({"name": f"fakturalinjer_{file}.csv" + (".gz" if draw(st.booleans()) else ""),
                      "encoding": encoding, "delimiter": delimiter, "rows": rows, "quirks": quirks,
                      "newline": draw(st.sampled_from(["\r\n", "\n"])), "blank_line": draw(st.booleans())})
    return files


def _write(raw: Path, spec: dict) -> None:
    newline, delimiter = spec["newline"], spec["delimiter"]
    lines = [delimiter.join(LINE_HEADER)] + [delimiter.join(row.fields) for row in spec["rows"]]
    text = newline.join(lines) + newline + (newline if spec["blank_line"] else "")
    data = text.encode(spec["encoding"])
    (raw / spec["name"]).write_bytes(gzip.compress(data) if spec["name"].endswith(".gz") else data)


def _expected_error(files: list[dict]) -> str | None:
    """Which file the ingest must stop on (the first, by name, that is mostly one problem), or
    'no usable rows' when no row loads, or None."""
    in_order = sorted(files, key=lambda s: s["name"])
    for spec in in_order:  # first: a file mostly one problem
        rows = spec["rows"]
        for problem in set(QUARANTINED.values()):
            count = sum(row.problem == problem for row in rows)
            if len(rows) >= WRONG_FILE_ROWS and count > WRONG_FILE_SHARE * len(rows):
                return spec["name"]
    for spec in in_order:  # then: a file mostly unusable, whatever the reasons
        rows = spec["rows"]
        if len(rows) >= WRONG_FILE_ROWS and sum(not row.load for row in rows) > WRONG_FILE_SHARE * len(rows):
            return spec["name"]
    if not any(row.load for spec in files for row in spec["rows"]):
        return "no usable rows"
    return None


def _check_folder(tmp: Path, files: list[dict]) -> int:
    """Ingest the folder and check it against the oracle; the number of cases it held."""
    raw = minimal_raw(tmp / "raw", lines=[])
    (raw / "fakturalinjer.csv").unlink()
    for spec in files:
        _write(raw, spec)
    cases = sum(len(spec["rows"]) + 5 for spec in files)  # each row's quirk, and five file-level choices per file
    db = tmp / "db.duckdb"
    expected_error = _expected_error(files)
    try:
        report = ingest(raw, db)
    except InputError as error:
        assert expected_error is not None, f"unexpected stop: {error}"
        assert str(error).startswith(expected_error if expected_error.endswith(".gz") or expected_error.endswith(".csv")
                                     else "invoice lines: no usable rows"), str(error)
        assert not db.exists()
        return cases
    assert expected_error is None, f"the ingest should have stopped on {expected_error}"
    con = duckdb.connect(str(db), read_only=True)
    try:
        loaded = dict(con.execute("SELECT invoice_no, amount FROM invoice_lines").fetchall())
        names = [name for (name,) in con.execute("SELECT DISTINCT supplier_name FROM invoice_lines").fetchall()]
    finally:
        con.close()
    expected = {row.invoice_no: Decimal(row.ore) / 100 for spec in files for row in spec["rows"] if row.load}
    assert loaded == expected
    assert not any(re.search(CPR_PATTERN, name) or re.search(r"[\x00-\x1f]", name) for name in names)
    by_file = {f.file: f for f in report.files if f.kind == "invoice_lines"}
    for spec in files:
        result, rows = by_file[spec["name"]], spec["rows"]
        quarantined = [row for row in rows if not row.load]
        assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (
            len(rows), len(rows) - len(quarantined), len(quarantined)), spec["name"]
        assert result.amount_loaded == sum((Decimal(r.ore) / 100 for r in rows if r.load), Decimal(0))
        assert result.amount_quarantined == sum((Decimal(r.ore) / 100 for r in quarantined), Decimal(0))
        assert result.amount_read == result.amount_loaded + result.amount_quarantined
        assert result.rows_unpriced == sum(not r.readable for r in quarantined)
    return cases


def _run(examples: int) -> int:
    """Hypothesis over ``examples`` folders; the number of cases checked."""
    cases = [0]

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(files=raw_files())
    def check(files: list[dict]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            cases[0] += _check_folder(Path(tmp), files)

    check()
    return cases[0]


@pytest.mark.slow
def test_export_quirks_at_random_positions_reconcile_with_an_independent_reading() -> None:
    assert _run(12) > 0


@pytest.mark.slow
def test_export_quirks_over_ten_thousand_cases() -> None:
    cases = _run(500)
    print(f"export-quirk cases checked: {cases:,}")
    assert cases >= 10_000
