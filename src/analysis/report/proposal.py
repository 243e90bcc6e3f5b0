"""The budget proposal in the municipality's own form: the "Prioriteringsforslag" (notebook 06).

The form of the seed (ØU08, budget 2026-2029): a header block (Budget, Prioriteringsforslag, Nr.,
Overskrift, Udvalg, Forslagsstiller, Udgiftstype), the table "Beløb i 1.000 kr., <år>-priser"
(``budget_table.proposal_table``) and sections 1-7. The fixed wording of the sections lives in one
template file (``templates/proposal/prioriteringsforslag.md``, Jinja2) that the finance team
edits; every figure in it is computed here (``figures``). Written as HTML for the PDF and as Word
(python-docx), because agenda and case systems take Word documents.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from IPython.display import HTML
from jinja2 import Environment, StrictUndefined, TemplateError

from . import budget_table
from .documents import stamped_zip, write_whole
from ..errors import ParameterError
from ..formats import kr, mio_kr, pct
from ..paths import TEMPLATE_DIR

TEMPLATE = TEMPLATE_DIR / "proposal" / "prioriteringsforslag.md"
DOCX_NAME = "prioriteringsforslag.docx"


@dataclass(frozen=True)
class Form:
    """One prioriteringsforslag, ready to print."""

    budget_years: tuple[int, ...]
    number: str  # Nr.
    title: str  # Overskrift
    committee: str  # Udvalg
    proposer: str  # Forslagsstiller
    expense_type: str  # Udgiftstype
    price_year: int
    table: pd.DataFrame  # budget_table.proposal_table: 1.000 kr. per budget year
    sections: list[tuple[str, list[str]]]  # (heading, paragraphs)
    table_note: str = ""  # under the table: text.price_adjustment when the amount was converted
    scenario_id: str = ""  # params.scenario_id: same id, same data, parameters and code

    @property
    def scenario_note(self) -> str:
        return f"Beregnings-id {self.scenario_id} (samme id: samme data, parametre og beregning)" if self.scenario_id else ""

    @property
    def budget_label(self) -> str:
        years = self.budget_years
        return f"Budget {years[0]}-{years[-1]}" if len(years) > 1 else f"Budget {years[0]}"

    @property
    def header(self) -> list[tuple[str, str]]:
        return [("Nr.", self.number), ("Overskrift", self.title), ("Udvalg", self.committee),
                ("Forslagsstiller", self.proposer), ("Udgiftstype", self.expense_type)]


def amount_text(amount: int) -> str:
    """The proposal's amount in prose: '1,5 mio. kr.' when that is exact, else to the krone."""
    return mio_kr(amount, 1) if amount % 100_000 == 0 else kr(amount)


def figures(municipality: str, year: int, n: int, amount: int, rate: float, eligible_amount: float,
            goods_budget: float | None, target_rate: float | None, target_label: str,
            mandatory_missed: float | None) -> dict[str, object]:
    """The names the template may use, each a Danish text computed from the data and parameters."""
    return {
        "municipality": municipality, "year": year, "n": n, "amount": kr(amount), "amount_mio": amount_text(amount),
        "rate": pct(rate), "eligible_mio": mio_kr(eligible_amount, 0),
        "goods_budget_mio": mio_kr(goods_budget, 0) if goods_budget else "",
        "target_rate": pct(target_rate) if target_rate is not None else "", "target_label": target_label,
        "mandatory_missed_mio": mio_kr(mandatory_missed) if mandatory_missed else "",
    }


def sections(template: Path, values: dict[str, object]) -> list[tuple[str, list[str]]]:
    """The template rendered with ``values``: sections ("## " headings) of paragraphs. A name the
    template uses that ``figures`` does not give is an error, not an empty gap in the text."""
    try:
        text = Environment(undefined=StrictUndefined, keep_trailing_newline=True).from_string(
            template.read_text(encoding="utf-8")).render(**values)
    except OSError as error:
        raise ParameterError(f"template_file: {template} cannot be read ({error.strerror})") from None
    except TemplateError as error:
        raise ParameterError(f"template_file: {template}: {error} (the names it may use: "
                             f"{', '.join(sorted(values))})") from None
    found: list[tuple[str, list[str]]] = []
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        found.append((heading.strip(), [_paragraph(part) for part in re.split(r"\n\s*\n", body) if part.strip()]))
    if not found:
        raise ParameterError(f"template_file: {template} has no sections (a section starts with '## ')")
    return found


def _paragraph(text: str) -> str:
    """One paragraph of the rendered template: its lines joined (non-breaking spaces kept), and one
    full stop after an amount that ends a sentence ("1,5 mio. kr." + "." is not "kr..")."""
    joined = re.sub(r"[ \t\r\n]+", " ", text).strip()
    return re.sub(r"\b(kr|mio|ca|pct|nr)\.\.", r"\1.", joined)


def form_html(form: Form, municipality: str) -> list[HTML]:
    """The form as the report shows it (and the PDF prints it), in blocks between which a page may
    break (the report keeps each output on one page: the form as one block was pushed whole onto
    the second page)."""
    rows = "".join(f'<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>' for label, value in form.header)
    title = f"Prioriteringsforslag {form.number}: {form.title}"
    blocks = [HTML(f'<div class="proposal-form"><p class="municipality">{html.escape(municipality)}</p>'
                   f'<p class="proposal-budget">{html.escape(form.budget_label)}</p>'
                   f'<h1 class="proposal-kind">Prioriteringsforslag</h1><span class="doc-title">{html.escape(title)}</span>'
                   f'<table class="proposal-header">{rows}</table></div>'),
              budget_table.table_html(form.table, form.price_year, budget_table.PROPOSAL_GROUPS)]
    if form.table_note:
        blocks.append(HTML(f'<p class="source-note">{html.escape(form.table_note)}</p>'))
    for heading, paragraphs in form.sections:  # a heading keeps its first paragraph; pages break between paragraphs
        first, *rest = paragraphs or [""]
        blocks.append(HTML(f'<div class="proposal-form"><h2>{html.escape(heading)}</h2><p>{html.escape(first)}</p></div>'))
        blocks += [HTML(f'<div class="proposal-form"><p>{html.escape(paragraph)}</p></div>') for paragraph in rest]
    if form.scenario_note:
        blocks.append(HTML(f'<p class="source-note">{html.escape(form.scenario_note)}</p>'))
    return blocks


def write_docx(form: Form, path: Path, report_date: date) -> Path:
    """The form as a Word document: the header block, the budget table and the sections; dated
    ``report_date`` throughout, so a rebuild gives the same bytes."""
    document = Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    document.add_paragraph(form.budget_label).runs[0].bold = True
    document.add_heading("Prioriteringsforslag", level=1)
    header = document.add_table(rows=0, cols=2)
    for label, value in form.header:
        cells = header.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].paragraphs[0].runs[0].bold = True
    document.add_paragraph()
    years = list(form.table.columns)
    grid = document.add_table(rows=1, cols=len(years) + 1)
    grid.style = "Table Grid"
    grid.rows[0].cells[0].text = f"Beløb i 1.000 kr.\n{form.price_year}-priser"
    for cell, year in zip(grid.rows[0].cells[1:], years):
        cell.text = str(year)
    for label, values in form.table.iterrows():
        if label in budget_table.PROPOSAL_GROUPS:
            group = grid.add_row().cells
            group[0].text = budget_table.PROPOSAL_GROUPS[label]
            group[0].paragraphs[0].runs[0].bold = True
        cells = grid.add_row().cells
        cells[0].text = str(label)
        for cell, value in zip(cells[1:], values):
            cell.text = budget_table.format_tkr(None if value != value else value)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph(budget_table.SIGN_NOTE).runs[0].italic = True
    if form.table_note:
        document.add_paragraph(form.table_note).runs[0].italic = True
    for heading, paragraphs in form.sections:
        document.add_heading(heading, level=2)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    if form.scenario_note:
        note = document.add_paragraph().add_run(form.scenario_note)
        note.font.size, note.italic = Pt(8), True
    properties = document.core_properties
    properties.title = f"{form.budget_label}, prioriteringsforslag {form.number}: {form.title}"
    properties.author = properties.last_modified_by = form.proposer
    properties.created = properties.modified = properties.last_printed = datetime.combine(report_date, time())
    properties.revision = 1
    saved = io.BytesIO()
    document.save(saved)
    return write_whole(path, stamped_zip(saved.getvalue(), report_date))
