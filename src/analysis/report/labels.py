"""The Danish name and number format of every column a reader sees of a unit, in one catalogue.

A report table, the explorer, the procurement workbook and ``--format excel`` all name the same
figure the same way (03 called the selection probability "Sandsynlighed" where 04 called it
"Sikkerhed"; the missed spend was "Uden om e-handel" in a report and "Ikke e-handlet" in the
workbook). Each column has one header; where a narrow PDF table needs it shorter, the short form
sits beside the full one here, not in a notebook. Tables of one report's own (benchmark rows,
savings scenarios) keep their headers where they are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

KRONER = '#,##0 "kr."'  # the workbook's number formats
PERCENT = "0.0 %"
POINTS = "+0.0 %;-0.0 %;0.0 %"  # a change of a rate, signed


@dataclass(frozen=True)
class Label:
    """A column's Danish header (``short`` in narrow report tables, if given), its format in report
    tables (``kr``, ``kr2``, ``pct``, ``int``, ``text``: see tables.FORMATS), and in the workbook
    its number format (None: text) and width."""

    header: str
    format: str
    excel: str | None = None
    width: int = 15
    short: str = ""

    @property
    def in_table(self) -> str:
        return self.short or self.header


LABELS: dict[str, Label] = {
    "rank": Label("Placering", "int", "0", 10, short="Nr."),
    "ean": Label("EAN-nummer", "text", None, 15),
    "name": Label("Enhed", "text", None, 30),
    "level2": Label("EAN-niveau 2", "text", None, 18),
    "org_name": Label("Område", "text", None, 30),
    "unit_type": Label("Enhedstype", "text", None, 15, short="Type"),
    "units": Label("Enheder", "int", "0", 10),
    "status": Label("Status", "text", None, 18),
    "period": Label("År", "text", None, 8),
    "category": Label("Kategori", "text", None, 25),
    "mandatory_area": Label("Obligatorisk område", "text", None, 25),
    "goods_budget": Label("Varebudget", "kr", KRONER, 15),
    "eligible_amount": Label("E-handelsegnet forbrug", "kr", KRONER, 16, short="E-handelsegnet"),
    "ehandel_amount": Label("Heraf e-handlet", "kr", KRONER, 15, short="E-handlet"),
    "missed_amount": Label("Ikke e-handlet", "kr", KRONER, 15),
    "eligible_documents": Label("Fakturaer og kortkøb", "int", "#,##0", 12),
    "documents": Label("Køb", "int", "#,##0", 10),
    "missed_documents": Label("Køb uden om e-handel", "int", "#,##0", 12, short="Køb uden om"),
    "supplier_name": Label("Leverandør", "text", None, 30),
    "supplier_cvr": Label("Leverandørens CVR-nummer", "text", None, 12, short="CVR"),
    "rate": Label("E-handelsprocent", "pct", PERCENT, 17, short="E-handels\u00adprocent"),
    "count_rate": Label("E-handelsprocent (antal)", "pct", PERCENT, 17, short="E-handels\u00adprocent (antal)"),
    "classified_share": Label("Klassificeret andel", "pct", PERCENT, 12),
    "rate_if_eligible": Label("E-handelsprocent hvis uklassificeret er egnet", "pct", PERCENT, 17),
    "key_value": Label("Fordelingsnøgle", "int", "#,##0", 16),
    "cut": Label("Reduktion", "kr", KRONER, 15),
    "cut_share_of_budget": Label("Reduktion i pct. af varebudget", "pct", PERCENT, 13, short="Pct. af budget"),
    "tied_at_cutoff": Label("Samme procent som ved afskæringen", "text", None, 12),
    "probability": Label("Sandsynlighed for at blive udvalgt", "pct", PERCENT, 16, short="Sandsynlighed"),
    "selected_text": Label("Udvalgt", "text", None, 10),
    "uncertain_text": Label("Usikker placering", "text", None, 10),
    # Two runs side by side (analysis compare): "før" is the earlier run, "nu" the later.
    "change": Label("Ændring", "text", None, 20),
    "rate_before": Label("E-handelsprocent før", "pct", PERCENT, 13, short="Procent før"),
    "rate_now": Label("E-handelsprocent nu", "pct", PERCENT, 13, short="Procent nu"),
    "rate_change": Label("Ændring i e-handelsprocent", "points", POINTS, 13, short="Forskel i procent"),
    "rank_before": Label("Placering før", "int", "0", 10, short="Nr. før"),
    "rank_now": Label("Placering nu", "int", "0", 10, short="Nr. nu"),
    "cut_before": Label("Reduktion før", "kr", KRONER, 15),
    "cut_now": Label("Reduktion nu", "kr", KRONER, 15),
    "cut_change": Label("Ændring i reduktion", "kr", KRONER, 15),
    # Did the penalty work (notebook 07): effects on the rate, in percentage points.
    "bandwidth": Label("Båndbredde", "points", POINTS, 12),
    "effect": Label("Anslået virkning", "points", POINTS, 14),
    "low": Label("Nedre grænse (95 %)", "points", POINTS, 14, short="Fra"),
    "high": Label("Øvre grænse (95 %)", "points", POINTS, 14, short="Til"),
    "treated": Label("Ramte enheder", "int", "0", 10, short="Ramte"),
    "control": Label("Øvrige enheder", "int", "0", 10, short="Øvrige"),
}


def columns(*names: str, **headers: str) -> dict[str, tuple[str, str]]:
    """``{column: (header, format)}`` for tables.table, in the order given; ``headers`` replaces a
    header where the table's data say more (``goods_budget=parameters.budget_label`` when budgets
    are derived from spend)."""
    return {name: (headers.get(name, LABELS[name].in_table), LABELS[name].format) for name in names}


def sheet_columns(*names: str, **aliases: str) -> list[tuple[str, str, str | None, int]]:
    """``(column, header, number format, width)`` of the workbook's sheets; ``aliases`` takes a
    column's label from another (``rate_value="rate"``: the basis' rate under the rate's name)."""
    return [(name, LABELS[aliases.get(name, name)].header, LABELS[aliases.get(name, name)].excel,
             LABELS[aliases.get(name, name)].width) for name in names]


def headers() -> dict[str, str]:
    """Every column's full Danish header (``--format excel``)."""
    return {name: label.header for name, label in LABELS.items()}
