"""Tables for the reports: Danish headers and number formats, numbers right-aligned.

``table`` returns an IPython HTML object, so a notebook cell shows it in JupyterLab and the
report build prints it, with the same look from the one CSS file.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd
from IPython.display import HTML

from ..formats import kr, number, pct, points

FORMATS: dict[str, Callable[[object], str]] = {
    "kr": kr,
    "kr2": lambda value: kr(value, 2),
    "pct": pct,
    "points": points,
    "int": number,
    "text": lambda value: "" if value is None or value != value else str(value),
}


def table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], caption: str | None = None,
          total: dict[str, object] | None = None) -> HTML:
    """Render ``frame`` with ``columns`` = {column: (Danish header, format)}; formats: kr, kr2 (øre), pct,
    int, text, points (a change of a rate).

    ``total`` adds a bold last row with already computed values (never summed here: a total of
    rates is not the sum of rates).
    """
    head = "".join(
        f'<th class="{"num" if fmt != "text" else "txt"}">{html.escape(header)}</th>'
        for header, fmt in columns.values()
    )
    body = []
    rows = [row for _, row in frame.iterrows()]
    for row in rows:
        body.append("<tr>" + _cells(row, columns) + "</tr>")
    if total is not None:
        body.append('<tr class="total">' + _cells(pd.Series(total), columns) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return HTML(f'<table class="tabel">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _cells(row: pd.Series, columns: dict[str, tuple[str, str]]) -> str:
    cells = []
    for column, (_, fmt) in columns.items():
        value = row.get(column)
        text = FORMATS[fmt](value) if value is not None else ""
        cells.append(f'<td class="{"num" if fmt != "text" else "txt"}">{html.escape(text)}</td>')
    return "".join(cells)
