"""The current budget of the area a proposal changes, read from the finance team's own file.

The prioriteringsforslag's first row, "Nuværende budget", is the budget the change applies to.
Which budget lines make up the affected area is the finance team's judgement, not the tool's
(decision 93): they export those lines from the budget system (a CSV file or an Excel sheet) and
the tool sums them per budget year, exactly, naming the file, line and reason for anything it
cannot read.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import ParameterError

YEAR_HEADERS = ("budgetår", "år", "aar", "year", "budget year")
AMOUNT_HEADERS = ("beløb", "beløb (kr.)", "beløb i kr.", "budget", "kr.", "amount")
HEADER_SEARCH_ROWS = 20  # an export may open with a title and a blank line before its headers
_DANISH_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")  # 1.500.000
_PLAIN = re.compile(r"-?\d+(\.\d+)?")  # 1500000 or 1500000.50 (as Excel writes a CSV in English)


def amount(text: str) -> Decimal:
    """A budget amount as written in a Danish export: '1.500.000', '-1.234,50', '1500000', '12 500 kr.'."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").removesuffix("kr.").removesuffix("kr").strip()
    if cleaned.startswith("(") and cleaned.endswith(")"):  # an accountant's negative
        cleaned = "-" + cleaned[1:-1]
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif _DANISH_THOUSANDS.fullmatch(cleaned):
        cleaned = cleaned.replace(".", "")
    elif not _PLAIN.fullmatch(cleaned):
        raise ValueError(f"the amount {text!r} is not a number")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"the amount {text!r} is not a number") from None


def _year(value: object) -> int:
    text = str(value).strip().removesuffix(".0")
    if not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise ValueError(f"the year {value!r} is not a year")
    return int(text)


def _tables(path: Path) -> list[list[list[object]]]:
    """The file's rows as cells, in each way it can be read: an Excel workbook's first sheet, or a CSV
    file (UTF-8 or Windows-1252) split at ';', tab or ',' (a title line above the headers may hold
    any of them, so the headers decide)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl  # imported only where a workbook is read

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises several types for a broken or encrypted file
            raise ParameterError(f"budget_file: {path}: not a readable Excel workbook ({error})") from error
        try:
            return [[list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]]
        finally:
            workbook.close()
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return [list(csv.reader(io.StringIO(text), delimiter=delimiter)) for delimiter in ";\t,"]


def _columns(path: Path, tables: list[list[list[object]]]) -> tuple[list[list[object]], int, int, int]:
    """The rows read the way that finds the header row, the header row's index and the year and
    amount columns' positions."""
    for rows in tables:
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            headers = [str(cell or "").strip().lower() for cell in row]
            years = [i for i, h in enumerate(headers) if h in YEAR_HEADERS]
            amounts = [i for i, h in enumerate(headers) if h in AMOUNT_HEADERS]
            if years and amounts:
                if len(years) > 1 or len(amounts) > 1:
                    found = [str(row[i]) for i in years + amounts]
                    raise ParameterError(f"budget_file: {path}: line {index + 1}: more than one year or amount column"
                                         f" ({', '.join(found)}); keep one of each")
                return rows, index, years[0], amounts[0]
    raise ParameterError(f"budget_file: {path}: no header row with a year column ({', '.join(YEAR_HEADERS[:2])}) and"
                         f" an amount column ({', '.join(AMOUNT_HEADERS[:2])}) in its first {HEADER_SEARCH_ROWS} lines")


def current_budget(path: Path, years: tuple[int, ...]) -> dict[int, Decimal]:
    """Kroner per budget year: the file's lines summed by year. Every budget year needs a line; years
    outside the budget period are left out (an export often holds more); a blank line is skipped, a
    line with a year or an amount but not both is an error."""
    if not path.is_file():
        raise ParameterError(f"budget_file: {path} does not exist")
    rows, header, year_at, amount_at = _columns(path, _tables(path))
    totals: dict[int, Decimal] = {}
    for number, row in enumerate(rows[header + 1:], start=header + 2):
        year_cell = row[year_at] if year_at < len(row) else None
        amount_cell = row[amount_at] if amount_at < len(row) else None
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        try:
            if year_cell is None or str(year_cell).strip() == "":
                raise ValueError("the year is empty")
            if amount_cell is None or str(amount_cell).strip() == "":
                raise ValueError("the amount is empty")
            year = _year(year_cell)
            value = (Decimal(repr(amount_cell)) if isinstance(amount_cell, float)
                     else Decimal(amount_cell) if isinstance(amount_cell, int) else amount(str(amount_cell)))
        except ValueError as error:
            raise ParameterError(f"budget_file: {path}: line {number}: {error}") from None
        totals[year] = totals.get(year, Decimal(0)) + value
    missing = [year for year in years if year not in totals]
    if missing:
        held = ", ".join(str(year) for year in sorted(totals)) or "none"
        raise ParameterError(f"budget_file: {path}: no line for {', '.join(map(str, missing))} (the file has {held})")
    return {year: totals[year] for year in years}
