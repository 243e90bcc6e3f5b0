"""The penalty as an Excel workbook for the procurement team (openpyxl).

Three sheets: the allocation per unit with a total row, the parameters (numbers stored as
numbers) and the selection probabilities. Each sheet opens with a title block (municipality,
measurement period, date, case number, source) and prints on A4 landscape, fitted to the page's
width, with its header row repeated on every page and page numbers in the footer. Danish headers
and number formats, frozen header row and filters. Text from the data is always written as text:
a name starting with "=" never becomes a formula. Totals are values, not formulas, so that any
reader of the file (pandas, a case system's preview) sees the same exact kroner as the reports.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import text
from .documents import stamped_zip, write_whole
from ..formats import long_date
from .labels import KRONER, PERCENT, sheet_columns
from ..engines.penalty import RATE_COLUMNS, PenaltyResult

FORMATS = {"count": "0", "kroner": KRONER, "cap": '0.0 %" af varebudgettet"', "text": None}
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
FONT = "Calibri"  # openpyxl's default; named, or a styled cell falls back to another font
LINE_HEIGHT = 15  # points per line of 11 pt text
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

ALLOCATION = sheet_columns("rank", "ean", "name", "level2", "unit_type", "status", "goods_budget", "eligible_amount",
                           "ehandel_amount", "missed_amount", "rate", "count_rate", "key_value", "cut",
                           "cut_share_of_budget")  # (column, Danish header, number format or None for text, width)
TOTALLED = ("goods_budget", "eligible_amount", "ehandel_amount", "missed_amount", "cut")
PROBABILITY = sheet_columns("rank", "ean", "name", "unit_type", "eligible_amount", "rate_value", "probability",
                            "selected_text", "uncertain_text", rate_value="rate")
HEADER_ROW = 8  # title, five header lines, a blank row; pd.read_excel(path, header=HEADER_ROW - 1)
PARAMETERS = [("label", "Parameter", None, 40), ("value", "Værdi", None, 60)]


@dataclass(frozen=True)
class SheetHeader:
    """What the top of every sheet and every printed page says: whose figures, for which period,
    of which date and case, and from which data."""

    municipality: str
    period: str
    report_date: date
    case_number: str = ""
    source: str = ""

    @classmethod
    def from_meta(cls, meta: dict[str, str], period: str, report_date: date | None = None,
                  case_number: str = "", scenario_id: str = "") -> SheetHeader:
        """The header from the database's ingest metadata (``db.meta``): the source names the raw
        folder and the day it was read, and the report's scenario id where there is one."""
        source = f"indkøbsdata {text.ingested(meta)}"
        if scenario_id:
            source += f", beregnings-id {scenario_id}"
        return cls(meta.get("municipality", ""), period, report_date or date.today(), case_number, source)

    def lines(self) -> list[str]:
        return [f"Kommune: {self.municipality}", f"Måleperiode: {self.period}", f"Dato: {long_date(self.report_date)}",
                f"Sagsnr.: {self.case_number or '–'}", f"Kilde: {self.source or '–'}"]


def _cell_value(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _put(sheet: Worksheet, row: int, column: int, value: object, number_format: str | None) -> None:
    cell = sheet.cell(row=row, column=column, value=_cell_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    elif number_format:
        cell.number_format = number_format


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (of the digit 0: an
    average letter of Calibri is narrower)."""
    return len(textwrap.wrap(text, int(width * 1.1))) or 1


def _printed(text: str) -> str:
    return text.replace("&", "&&")  # "&" starts a code in Excel's page header and footer


def _new_sheet(workbook: Workbook, name: str, title: str, header: SheetHeader, columns: list[tuple]) -> int:
    """A sheet with the title block, print setup and the table's header row; returns that row."""
    sheet = workbook.create_sheet(name)
    sheet.cell(row=1, column=1, value=title).font = Font(name=FONT, bold=True, size=14)
    for row, line in enumerate(header.lines(), start=2):
        sheet.cell(row=row, column=1, value=line).data_type = "s"
    header_row = HEADER_ROW
    for index, (_, heading, _, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=index, value=heading)
        cell.font = Font(name=FONT, bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = GRID
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[header_row].height = LINE_HEIGHT * max(_lines(text, width - 2) for _, text, _, width in columns) + 3
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.left.text = _printed(header.municipality)
    sheet.oddHeader.center.text = _printed(title)
    sheet.oddHeader.right.text = _printed(f"Sagsnr. {header.case_number}" if header.case_number else "")
    sheet.oddFooter.left.text = _printed(f"Måleperiode {header.period}. Kilde: {header.source or '–'}")
    sheet.oddFooter.right.text = "Side &P af &N"
    return header_row


def _table(sheet: Worksheet, first_row: int, frame: pd.DataFrame, columns: list[tuple]) -> int:
    """The rows under the header row, with filters on them; returns the last row written."""
    last = first_row
    for last, row in enumerate(frame.itertuples(index=False), start=first_row + 1):
        values = row._asdict()
        lines = 1
        for index, (column, _, number_format, width) in enumerate(columns, start=1):
            _put(sheet, last, index, values.get(column), number_format)
            cell = sheet.cell(row=last, column=index)
            cell.border = GRID
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str):
                lines = max(lines, _lines(cell.value, width))
        if lines > 1:  # set, not left to the reader: LibreOffice does not grow a row to its wrapped text
            sheet.row_dimensions[last].height = lines * LINE_HEIGHT
    sheet.auto_filter.ref = f"A{first_row}:{get_column_letter(len(columns))}{last}"
    return last


def _allocation(workbook: Workbook, result: PenaltyResult, header: SheetHeader) -> None:
    header_row = _new_sheet(workbook, "Fordeling", "Sanktion for lav e-handel: fordeling pr. enhed", header, ALLOCATION)
    sheet = workbook["Fordeling"]
    table = result.table.rename(columns=str)
    total_row = _table(sheet, header_row, table, ALLOCATION) + 1
    line = Side(style="medium")
    for index, (column, _, number_format, _) in enumerate(ALLOCATION, start=1):
        cell = sheet.cell(row=total_row, column=index)
        if column == "name":
            cell.value = "I alt"
        elif column in TOTALLED:
            _put(sheet, total_row, index, int(round(table[column].fillna(0).sum())), number_format)
        cell.font = Font(name=FONT, bold=True)
        cell.border = Border(left=THIN, right=THIN, top=line, bottom=line)


def _parameters(workbook: Workbook, result: PenaltyResult, header: SheetHeader) -> None:
    header_row = _new_sheet(workbook, "Parametre", "Sanktion for lav e-handel: parametre og regler", header, PARAMETERS)
    sheet = workbook["Parametre"]
    facts = [*result.parameters.facts(),
             ("E-handelsprocent ved afskæring", float(result.cutoff_rate), "share"),
             ("Enheder med samme procent ved afskæring", ", ".join(result.tied_at_cutoff) or "ingen", "text"),
             ("Sum af reduktioner", int(result.table["cut"].sum()), "kroner")]
    for row, (label, value, kind) in enumerate(facts, start=header_row + 1):
        _put(sheet, row, 1, label, None)
        _put(sheet, row, 2, value, PERCENT if kind == "share" else FORMATS[kind])
        sheet.cell(row=row, column=2).alignment = Alignment(horizontal="left", wrap_text=True)
        sheet.cell(row=row, column=1).border = sheet.cell(row=row, column=2).border = GRID
    sheet.auto_filter.ref = None


def _probability(workbook: Workbook, result: PenaltyResult, probability: pd.DataFrame, header: SheetHeader) -> None:
    header_row = _new_sheet(workbook, "Sandsynlighed", "Sanktion for lav e-handel: sandsynlighed for at blive udvalgt",
                            header, PROBABILITY)
    yes_no = {True: "ja", False: "nej"}
    shown = probability.assign(rate_value=probability[RATE_COLUMNS[result.parameters.basis]],
                               selected_text=probability["selected"].map(yes_no),
                               uncertain_text=probability["uncertain"].map(yes_no))
    _table(workbook["Sandsynlighed"], header_row, shown, PROBABILITY)


def write_workbook(path: Path | BinaryIO, result: PenaltyResult, header: SheetHeader,
                   probability: pd.DataFrame | None = None) -> Path | BinaryIO:
    """Write the allocation (and, if given, the selection probabilities) to ``path`` (a file name
    or a binary buffer, e.g. for a download button)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _allocation(workbook, result, header)
    _parameters(workbook, result, header)
    if probability is not None:
        _probability(workbook, result, probability, header)
    data = _reproducible_bytes(workbook, header.report_date)
    if isinstance(path, Path):
        write_whole(path, data)
    else:
        path.write(data)
    return path


COMPARISON = sheet_columns("ean", "name", "change", "rate_before", "rate_now", "rate_change", "rank_before",
                           "rank_now", "cut_before", "cut_now", "cut_change")


def write_comparison(path: Path, table: pd.DataFrame, title: str, header: SheetHeader) -> Path:
    """Two recorded runs side by side (``analysis compare --xlsx``), one row per unit cut in either."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    header_row = _new_sheet(workbook, "Sammenligning", title, header, COMPARISON)
    _table(workbook["Sammenligning"], header_row, table, COMPARISON)
    write_whole(path, _reproducible_bytes(workbook, header.report_date))
    return path


def _reproducible_bytes(workbook: Workbook, report_date: date) -> bytes:
    """The workbook's bytes, the same for the same figures: the document's dates and the zip
    entries' times are the report date, not the moment of saving (openpyxl stamps both with now)."""
    saved = io.BytesIO()
    workbook.save(saved)
    moment = datetime.combine(report_date, time())
    workbook.properties.created = workbook.properties.modified = moment  # save() set "modified" to now
    return stamped_zip(saved.getvalue(), report_date, {ARC_CORE: tostring(workbook.properties.to_tree())})
