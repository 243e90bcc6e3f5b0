"""Building blocks of a report page: the title block, key figures, and source notes.

They return IPython display objects with the classes the report CSS styles, so notebooks stay a
sequence of calls and the look is defined in one place (``templates/briefing/report.css``).
"""

from __future__ import annotations

import html
from datetime import date

from IPython.display import HTML

from .formats import long_date


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]#|"})


def escape(value: object) -> str:
    """Data or a parameter, made safe to put into Markdown text: HTML is escaped (a name such as
    "<script>" shows as text) and Markdown's special characters lose their meaning."""
    return html.escape(str(value)).translate(_MARKDOWN_SPECIAL)


def title_page(title: str, subtitle: str, municipality: str, report_date: date, period: str,
               synthetic: bool, committee: str = "Økonomiudvalget", case_number: str = "") -> HTML:
    """The title block: municipality, committee, date, case number, title and data period."""
    rows = [("Udvalg", committee), ("Dato", long_date(report_date)), ("Sagsnr.", case_number or "–"),
            ("Dataperiode", period)]
    facts = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    banner = ('<p class="synthetic">Syntetiske data: tallene er genereret til afprøvning og beskriver'
              " ikke en virkelig kommune.</p>") if synthetic else ""
    return HTML(
        f'<header class="title-block"><p class="municipality">{html.escape(municipality)}</p>'
        f'<h1 class="doc-title">{html.escape(title)}</h1><p class="subtitle">{html.escape(subtitle)}</p>'
        f'<table class="facts">{facts}</table>{banner}</header>'
    )


def key_figures(figures: list[tuple[str, str, str]]) -> HTML:
    """A row of key figures: (label, value, explanation)."""
    cards = "".join(
        f'<div class="key-figure"><p class="label">{html.escape(label)}</p><p class="value">{html.escape(value)}</p>'
        f'<p class="explain">{html.escape(explain)}</p></div>'
        for label, value, explain in figures
    )
    return HTML(f'<div class="key-figures">{cards}</div>')


def source_note(text: str) -> HTML:
    """A small note under a chart or table: source, definition or caveat."""
    return HTML(f'<p class="source-note">{html.escape(text)}</p>')


def page_break() -> HTML:
    """Start the next section on a new page in the PDF."""
    return HTML('<div class="page-break"></div>')
