"""The finance team's own files behind the prioriteringsforslag's budget table: the current budget
of the area a proposal changes, and the price and wage index (pris- og lønskøn).

The first row, "Nuværende budget", is the budget the change applies to. Which budget lines make
up the affected area is the finance team's judgement, not the tool's (decision 93): they export
those lines from the budget system (a CSV file or an Excel sheet, .xlsx or .xls) and the tool sums
them per budget year, exactly. The price index is KL's yearly pris- og lønskøn, in percent, as the team
copies it from KL's sheet (decision 94). Both name the file, line and reason for anything they
cannot read.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..errors import InputError, ParameterError

YEAR_HEADERS = ("budgetår", "år", "aar", "year", "budget year")
AMOUNT_HEADERS = ("beløb", "beløb (kr.)", "beløb i kr.", "budget", "kr.", "amount")
INDEX_HEADERS = ("pl", "p/l", "pl-skøn", "pris- og lønskøn", "pris- og lønfremskrivning", "procent", "pct.", "%")
# A wide sheet's row for the whole index when no row is labelled as the index itself.
TOTAL_ROW_LABELS = ("i alt", "samlet", "serviceudgifter i alt", "serviceudgifter", "pl i alt", "samlet pl")
_YEAR_HEADING = re.compile(r"(\d{4})(?:\s*[-/–]\s*(\d{4}|\d{2}))?")
PLAUSIBLE_CHANGE = (-20, 30)  # percent a year; 102,1 is an index level, not a change
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


def _number(cell: object) -> Decimal:
    """A cell's number exactly: a workbook's float as written (2.25, not 2.2499…), an int, or text as
    a Danish export writes it (``amount``)."""
    if isinstance(cell, float):
        return Decimal(repr(cell))
    return Decimal(cell) if isinstance(cell, int) else amount(str(cell))


def _year(value: object) -> int:
    text = str(value).strip().removesuffix(".0")
    if not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise ValueError(f"the year {value!r} is not a year")
    return int(text)


class _NoHeader(ParameterError):
    """No header row of the long layout (a year column and a value column)."""


def _tables(path: Path, parameter: str) -> list[list[list[object]]]:
    """The file's rows as cells, in each way it can be read: an Excel workbook's first sheet (.xlsx or
    the binary .xls KL's sheets come as), or a CSV file (UTF-8 or Windows-1252) split at ';', tab or
    ',' (a title line above the headers may hold any of them, so the headers decide)."""
    from .spreadsheets import OLE2_MAGIC, ZIP_MAGIC, Workbook

    data = path.read_bytes()
    if data.startswith((ZIP_MAGIC, OLE2_MAGIC)):
        try:
            with Workbook(path, str(path)) as book:
                return [[list(row) for row in book.rows(book.sheetnames[0])]]
        except InputError as error:
            raise ParameterError(f"{parameter}: {error}") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return [list(csv.reader(io.StringIO(text), delimiter=delimiter)) for delimiter in ";\t,"]


def _columns(path: Path, tables: list[list[list[object]]], parameter: str = "budget_file",
             value_headers: tuple[str, ...] = AMOUNT_HEADERS) -> tuple[list[list[object]], int, int, int]:
    """The rows read the way that finds the header row, the header row's index and the year and
    value columns' positions."""
    for rows in tables:
        for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            headers = [str(cell or "").strip().lower() for cell in row]
            years = [i for i, h in enumerate(headers) if h in YEAR_HEADERS]
            amounts = [i for i, h in enumerate(headers) if h in value_headers]
            if years and amounts:
                if len(years) > 1 or len(amounts) > 1:
                    found = [str(row[i]) for i in years + amounts]
                    raise ParameterError(f"{parameter}: {path}: line {index + 1}: more than one year or value column"
                                         f" ({', '.join(found)}); keep one of each")
                return rows, index, years[0], amounts[0]
    raise _NoHeader(f"{parameter}: {path}: no header row with a year column ({', '.join(YEAR_HEADERS[:2])}) and"
                    f" a value column ({', '.join(value_headers[:2])}) in its first {HEADER_SEARCH_ROWS} lines")


def _lines(path: Path, parameter: str, value_headers: tuple[str, ...], noun: str) -> list[tuple[int, int, Decimal]]:
    """(line number, year, value) for every line that is not blank."""
    if not path.is_file():
        raise ParameterError(f"{parameter}: {path} does not exist")
    rows, header, year_at, value_at = _columns(path, _tables(path, parameter), parameter, value_headers)
    found = []
    for number, row in enumerate(rows[header + 1:], start=header + 2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        year_cell = row[year_at] if year_at < len(row) else None
        value_cell = row[value_at] if value_at < len(row) else None
        try:
            if year_cell is None or str(year_cell).strip() == "":
                raise ValueError("the year is empty")
            if value_cell is None or str(value_cell).strip() == "":
                raise ValueError(f"the {noun} is empty")
            value = _number(value_cell)
            found.append((number, _year(year_cell), value))
        except ValueError as error:
            raise ParameterError(f"{parameter}: {path}: line {number}: {error}") from None
    return found


def current_budget(path: Path, years: tuple[int, ...]) -> dict[int, Decimal]:
    """Kroner per budget year: the file's lines summed by year. Every budget year needs a line; years
    outside the budget period are left out (an export often holds more); a blank line is skipped, a
    line with a year or an amount but not both is an error."""
    totals: dict[int, Decimal] = {}
    for _, year, value in _lines(path, "budget_file", AMOUNT_HEADERS, "amount"):
        totals[year] = totals.get(year, Decimal(0)) + value
    missing = [year for year in years if year not in totals]
    if missing:
        held = ", ".join(str(year) for year in sorted(totals)) or "none"
        raise ParameterError(f"budget_file: {path}: no line for {', '.join(map(str, missing))} (the file has {held})")
    return {year: totals[year] for year in years}


def _year_heading(cell: object) -> int | None:
    """The year a column heading of a wide price index names: 2026, or a pair of years "2025-26" /
    "2025-2026" / "2025/26" for the change from the first to the second (so 2026), else None."""
    found = _YEAR_HEADING.fullmatch(str(cell if cell is not None else "").strip().removesuffix(".0"))
    if not found:
        return None
    first, second = int(found[1]), found[2]
    year = first if second is None else int(second) if len(second) == 4 else first // 100 * 100 + int(second)
    return year if (second is None or year == first + 1) and 1900 <= year <= 2200 else None


def _index_row(path: Path, rows: list[list[object]], header: int) -> tuple[int, list[object]]:
    """(line number, cells) of the row below a wide sheet's header row labelled as the index (PL,
    Pris- og lønskøn) or, failing that, as its total (I alt, Serviceudgifter i alt)."""
    labelled = [(number, next(str(c).strip() for c in cells if c is not None and str(c).strip()), cells)
                for number, cells in enumerate(rows[header + 1:], start=header + 2)
                if any(c is not None and str(c).strip() for c in cells)]
    for labels in (INDEX_HEADERS, TOTAL_ROW_LABELS):
        chosen = [item for item in labelled if item[1].lower().rstrip(":. ") in labels]
        if len(chosen) > 1:
            raise ParameterError(f"price_index_file: {path}: lines {', '.join(str(n) for n, _, _ in chosen)} are all"
                                 f" labelled as the index ({', '.join(t for _, t, _ in chosen)}); keep one")
        if chosen:
            return chosen[0][0], chosen[0][2]
    raise ParameterError(f"price_index_file: {path}: a row of years (line {header + 1}) but no row below it"
                         f" labelled {', '.join(INDEX_HEADERS[:3])} or {', '.join(TOTAL_ROW_LABELS[:2])}")


def _wide_lines(path: Path, tables: list[list[list[object]]]) -> list[tuple[int, int, Decimal]]:
    """(line number, year, change) from a sheet laid out as KL's is, years across: a header row of
    years and the index's row below it (``_index_row``). Empty when the sheet has no such header row."""
    for rows in tables:
        for header, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
            years = {at: year for at, cell in enumerate(row) if (year := _year_heading(cell)) is not None}
            if len(years) < 2:
                continue
            number, cells = _index_row(path, rows, header)
            found = []
            for at, year in years.items():
                cell = cells[at] if at < len(cells) else None
                if cell is None or str(cell).strip() == "":
                    continue  # a year KL has no figure for yet
                try:
                    value = _number(cell)
                except ValueError as error:
                    raise ParameterError(f"price_index_file: {path}: line {number}, {year}: {error}") from None
                found.append((number, year, value))
            return found
    return []


def price_index(path: Path) -> dict[int, Decimal]:
    """The yearly price and wage change in percent (KL's pris- og lønskøn: 2,1 for 2.1 %): a year and a
    change a line, or years across with the index's row below them, as KL lays its sheet out."""
    index: dict[int, Decimal] = {}
    low, high = PLAUSIBLE_CHANGE
    try:
        lines = _lines(path, "price_index_file", INDEX_HEADERS, "change")
    except _NoHeader as error:
        lines = _wide_lines(path, _tables(path, "price_index_file"))
        if not lines:
            raise ParameterError(f"{error}, nor a row of years across with a row labelled PL or I alt below it") from None
    for number, year, change in lines:
        if year in index:
            raise ParameterError(f"price_index_file: {path}: line {number}: a second line for {year}")
        if not low <= change <= high:
            raise ParameterError(f"price_index_file: {path}: line {number}: {change} is not a yearly change in percent"
                                 f" (from {low} to {high}); an index level (102,1) is not read as a change")
        index[year] = change
    return index


def price_factor(index: dict[int, Decimal], from_year: int, to_year: int, path: Path) -> Decimal:
    """What a krone in ``from_year`` prices is in ``to_year`` prices: the yearly changes of the years
    after ``from_year`` up to ``to_year`` compounded (or undone, going back)."""
    forward = to_year >= from_year
    years = range(from_year + 1, to_year + 1) if forward else range(to_year + 1, from_year + 1)
    missing = [year for year in years if year not in index]
    if missing:
        raise ParameterError(f"price_index_file: {path}: no change for {', '.join(map(str, missing))}, needed to go"
                             f" from {from_year}- to {to_year}-priser")
    factor = Decimal(1)
    for year in years:
        factor *= 1 + index[year] / 100
    return factor if forward else 1 / factor
