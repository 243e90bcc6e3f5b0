"""Municipal budget tables: amounts in 1.000 kr., years as columns, the sign convention.

The one place for the format the seeds use, so the ØU08 proposal table and the business cases
print alike: "Beløb i 1.000 kr., 2026-priser", (-) = mindreudgift/merindtægt,
(+) = merudgift/mindreindtægt, and "-" for nothing.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd
from IPython.display import HTML

from ..errors import ParameterError
from ..formats import number, thousands

SIGN_NOTE = "Note: (-) = mindreudgift/merindtægt, (+) = merudgift/mindreindtægt"


def format_tkr(value: float | None) -> str:
    """-1500 → '-1.500', -1.5 (årsværk) → '-1,5'; 0 or nothing → '-' (the seeds' way of writing no change)."""
    if value is None or value != value or value == 0:
        return "-"
    return number(value, 0 if float(value).is_integer() else 1)


def proposal_table(amount: int, years: tuple[int, ...], current_budget: Mapping[int, Decimal | float] | None = None,
                   fte_change: float | None = None) -> pd.DataFrame:
    """The ØU08 table: a yearly efficiency cut of ``amount`` kr. as 1.000 kr. per year (negative:
    a lower expenditure). Rows: current budget (kroner per year, as given), the change, the net
    change and the staff effect."""
    if amount <= 0:
        raise ParameterError(f"amount: must be a positive number of kroner, not {amount!r}")
    if not years:
        raise ParameterError("budget years: at least one year is needed")
    cut = thousands(-amount)
    current = current_budget or {}
    rows = {
        "Nuværende budget": [thousands(current.get(year)) for year in years],
        "Effektivisering": [cut] * len(years),
        "Samlet ændring (Netto)": [cut] * len(years),
        "Ændring i antal årsværk": [fte_change or None] * len(years),
    }
    return pd.DataFrame(rows, index=list(years), dtype=object).T  # whole 1.000 kr. stay whole, beside årsværk


def table_html(table: pd.DataFrame, price_year: int, groups: dict[str, str] | None = None,
               caption: str | None = None) -> HTML:
    """A budget table as the seeds print it. ``groups`` puts a heading row before the named row
    (e.g. {"Effektivisering": "Budgetændring – drift"})."""
    groups = groups or {}
    years = "".join(f'<th class="num">{html.escape(str(y))}</th>' for y in table.columns)
    body = []
    for label, values in table.iterrows():
        if label in groups:
            body.append(f'<tr class="group"><td colspan="{len(table.columns) + 1}">{html.escape(groups[label])}</td></tr>')
        cells = "".join(f'<td class="num">{format_tkr(v if v == v else None)}</td>' for v in values)
        css = ' class="total"' if "Samlet" in str(label) or "i alt" in str(label).lower() else ""
        body.append(f"<tr{css}><td class=\"txt\">{html.escape(str(label))}</td>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    head = f'<tr><th class="txt">Beløb i 1.000 kr.<br>{price_year}-priser</th>{years}</tr>'
    return HTML(f'<table class="tabel budget">{cap}<thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'
                f'<p class="source-note">{SIGN_NOTE}</p>')


PROPOSAL_GROUPS = {"Effektivisering": "Budgetændring – drift", "Ændring i antal årsværk": "Personalekonsekvenser"}
