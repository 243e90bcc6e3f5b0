"""Building blocks of a report page: the title block, key figures, source notes and warnings.

They return IPython display objects with the classes the report CSS styles, so notebooks stay a
sequence of calls and the look is defined in one place (``templates/briefing/report.css``).
"""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
from IPython.display import HTML

from ..engines.coverage import Coverage
from ..formats import kr, long_date, number
from .tables import table


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]#|"})


def escape(value: object) -> str:
    """Data or a parameter, made safe to put into Markdown text: HTML is escaped (a name such as
    "<script>" shows as text) and Markdown's special characters lose their meaning."""
    return html.escape(str(value)).translate(_MARKDOWN_SPECIAL)


def title_page(title: str, subtitle: str, municipality: str, report_date: date, period: str,
               synthetic: bool, committee: str = "Økonomiudvalget", case_number: str = "",
               scenario_id: str = "") -> HTML:
    """The title block: municipality, committee, date, case number, title, data period and the
    scenario id (params.scenario_id), by which two copies of a report can be told to rest on the
    same data, parameters and code."""
    rows = [("Udvalg", committee), ("Dato", long_date(report_date)), ("Sagsnr.", case_number or "–"),
            ("Dataperiode", period)]
    if scenario_id:
        rows.append(("Beregnings-id", f"{scenario_id} (samme id: samme data, parametre og beregning)"))
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


def warning(text: str) -> HTML:
    """A caveat the reader must not miss (a figure that may be far off, a rule overridden), boxed."""
    return HTML(f'<p class="warning">{html.escape(text)}</p>')


def page_break() -> HTML:
    """Start the next section on a new page in the PDF."""
    return HTML('<div class="page-break"></div>')


def classification_notes(coverage: Coverage, ranking_note: str | None = None) -> list[HTML]:
    """What the reader must know about the eligibility classification, for under a report's headline:
    a bias warning and an overridden ranking limit (boxed), and the rate's range when some spend is
    unclassified. Empty when every purchase is classified."""
    notes = [warning(text) for text in (coverage.bias_warning(), ranking_note) if text]
    if sentence := coverage.range_sentence():
        notes.append(source_note(sentence))
    return notes


def classification_method(coverage: Coverage, definition: str, cross: pd.DataFrame, shown: int = 10) -> list[HTML]:
    """The method section's account of eligibility and e-handel: what the rules classify (a table by
    key), how e-handel is decided, and the invoices that quote another buyer's or supplier's order."""
    by_rule = coverage.by_rule()
    out = [HTML(f"<p>{escape(coverage.summary())} {escape(definition)}</p>"),
           table(by_rule, {"label": ("Klassificeret efter", "text"), "amount": ("Forbrug", "kr"),
                           "share": ("Andel af forbruget", "pct"), "ehandel_share": ("Andel af det e-handlede", "pct"),
                           "eligible_amount": ("Heraf e-handelsegnet", "kr")},
                 caption=f"Egnethedsreglernes dækning, {coverage.period} (reglerne i egnethed.csv og"
                         " kategorier.csv; første regel der passer, afgør)")]
    rules = coverage.rules_in_use()
    if len(rules):
        out.append(table(rules.head(shown + 5), {
            "label": ("Nøgle", "text"), "value": ("Værdi", "text"), "category": ("Kategori", "text"),
            "eligible_text": ("E-handelsegnet", "text"), "amount": ("Forbrug", "kr")},
            caption=f"Reglerne i brug, {coverage.period}: de {min(len(rules), shown + 5)} der klassificerede mest"
                    f" af {len(rules)}"))
    if len(cross):
        out.append(HTML(
            f"<p>{number(len(cross))} fakturaer ({kr(cross['amount'].sum())}) henviser til nummeret på en e-handelsordre, som en"
            " anden køber har afgivet eller som er afgivet hos en anden leverandør. De tæller ikke som e-handel."
            f"{f' De {shown} største:' if len(cross) > shown else ''}</p>"))
        out.append(table(cross.head(shown), {
            "invoice_no": ("Faktura", "text"), "buyer_ean": ("Køber (EAN)", "text"), "supplier_id": ("Leverandør", "text"),
            "order_ref": ("Ordrenummer", "text"), "mismatch": ("Afvigelse", "text"), "amount": ("Beløb", "kr")}))
    return out


RECONCILED = ["rows_read", "rows_loaded", "rows_quarantined", "amount_read", "amount_quarantined", "rows_unpriced"]


def reconciliation(ingest: pd.DataFrame, by_file: bool = True) -> HTML:
    """The ingest's reconciliation (``db.ingest_summary``): read = loaded + quarantined, in rows and
    kroner, per file (01) or per kind of data (04), with the same columns and caption in both."""
    if by_file:
        shown, first = ingest, {"file": ("Fil", "text"), "kind_label": ("Indhold", "text")}
    else:
        shown = ingest.groupby("kind_label", sort=False)[RECONCILED].sum(min_count=1).reset_index()
        first = {"kind_label": ("Data", "text")}
    return table(shown, {
        **first, "rows_read": ("Rækker læst", "int"), "rows_loaded": ("Indlæst", "int"),
        "rows_quarantined": ("Karantæne", "int"), "amount_read": ("Beløb læst", "kr"),
        "amount_quarantined": ("Beløb i karantæne", "kr"), "rows_unpriced": ("Karantæne uden læsbart beløb", "int")},
        caption="Afstemning af indlæsningen: læst = indlæst + karantæne, i rækker og kroner; rækker uden læsbart"
                " beløb indgår ikke i kronerne")
