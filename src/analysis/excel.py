"""The penalty as an Excel workbook for the procurement team (openpyxl).

Three sheets: the allocation per unit, the parameters and data period, and the selection
probabilities. Danish headers and number formats, frozen header row and filters. Text from the
data is always written as text: a name starting with "=" never becomes a formula.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .formats import kr, pct
from .penalty import BASES, PenaltyResult

KRONER = '#,##0 "kr."'
PERCENT = "0.0 %"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")

ALLOCATION = [  # (column, Danish header, number format or None for text, width)
    ("rank", "Placering", "0", 10), ("ean", "EAN-nummer", None, 16), ("name", "Enhed", None, 36),
    ("level2", "Område", None, 24), ("unit_type", "Enhedstype", None, 16), ("status", "Status", None, 24),
    ("goods_budget", "Varebudget", KRONER, 15), ("eligible_amount", "E-handelsegnet forbrug", KRONER, 18),
    ("ehandel_amount", "Heraf e-handlet", KRONER, 16), ("missed_amount", "Ikke e-handlet", KRONER, 16),
    ("rate", "E-handelsprocent", PERCENT, 12), ("count_rate", "E-handelsprocent (antal)", PERCENT, 12),
    ("key_value", "Fordelingsnøgle", "#,##0", 16), ("cut", "Reduktion", KRONER, 14),
    ("cut_share_of_budget", "Reduktion i pct. af varebudget", PERCENT, 14),
]
PROBABILITY = [
    ("rank", "Placering", "0", 10), ("ean", "EAN-nummer", None, 16), ("name", "Enhed", None, 36),
    ("unit_type", "Enhedstype", None, 16), ("eligible_amount", "E-handelsegnet forbrug", KRONER, 18),
    ("rate_value", "E-handelsprocent", PERCENT, 12), ("probability", "Sandsynlighed for at blive udvalgt", PERCENT, 16),
    ("selected_text", "Udvalgt", None, 10), ("uncertain_text", "Usikker placering", None, 12),
]


def _cell_value(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _sheet(workbook: Workbook, title: str, frame: pd.DataFrame, columns: list[tuple]) -> None:
    sheet = workbook.create_sheet(title)
    for index, (_, header, _, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row_number, row in enumerate(frame.itertuples(index=False), start=2):
        values = row._asdict()
        for index, (column, _, number_format, _) in enumerate(columns, start=1):
            value = _cell_value(values.get(column))
            cell = sheet.cell(row=row_number, column=index)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif number_format:
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(frame) + 1)}"


def write_workbook(path: Path | BinaryIO, result: PenaltyResult, period: str, municipality: str,
                   probability: pd.DataFrame | None = None) -> Path | BinaryIO:
    """Write the allocation (and, if given, the selection probabilities) to ``path`` (a file name
    or a binary buffer, e.g. for a download button)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "Fordeling", result.table.rename(columns=str), ALLOCATION)
    facts = {"Kommune": municipality, "Måleperiode": period, **result.parameters.describe(),
             "E-handelsprocent ved afskæring": pct(result.cutoff_rate),
             "Enheder med samme procent ved afskæring": ", ".join(result.tied_at_cutoff) or "ingen",
             "Sum af reduktioner": kr(int(result.table["cut"].sum()))}
    _sheet(workbook, "Parametre", pd.DataFrame({"key": list(facts), "value": list(facts.values())}),
           [("key", "Parameter", None, 40), ("value", "Værdi", None, 60)])
    if probability is not None:
        rate = BASES[result.parameters.basis]
        shown = probability.assign(rate_value=probability[rate],
                                   selected_text=probability["selected"].map({True: "ja", False: "nej"}),
                                   uncertain_text=probability["uncertain"].map({True: "ja", False: "nej"}))
        _sheet(workbook, "Sandsynlighed", shown, PROBABILITY)
    if isinstance(path, Path):  # written whole, then moved into place: readers never see half a file
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        workbook.save(partial)
        os.replace(partial, path)
    else:
        workbook.save(path)
    return path
