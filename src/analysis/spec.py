"""Every notebook parameter, declared once: its default, bounds, and help in English and Danish.

A name means the same in every notebook that takes it (``-p amount 2000000`` goes to each). This
table is the one place a default lives: the validators in ``params`` take their defaults from it,
each notebook's parameters cell is written from it (a test keeps the two identical and rewrites
a cell with ``python -m analysis.spec``), ``analysis penalty`` takes its options' defaults and help
from it, and the README's parameter tables are checked against it. The Danish label names a
parameter where a Danish reader sees it (the explorer's sliders). Defaults and choices that are
the engines' own (N, the amount, the keys) are imported from them, not restated.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engines.business_case import CASES
from .engines.coverage import MAX_UNCLASSIFIED
from .errors import ParameterError
from .engines.penalty import BUDGET_BASES, DEFAULT_AMOUNT, DEFAULT_N, KEYS, MAX_AMOUNT, MAX_CREDIT, RATE_COLUMNS
from .engines.rates import FOLLOW_UP_WINDOWS

COMPARATORS = "Landsplan (62 kommuner),Københavns Kommune,Bornholms Regionskommune"
TARGET = "Københavns Kommune"


@dataclass(frozen=True)
class Spec:
    """One parameter: its default, what it means (``help`` in English, ``label`` in Danish) and the
    values it takes: ``kind`` is ``int`` or ``number`` (from ``low`` to ``high``), ``year`` (the
    same, or None), ``choice`` (one of ``choices``), or ``text`` (checked where it is used: dates,
    budget years, names in the data)."""

    name: str
    default: Any
    help: str
    label: str
    kind: str = "text"
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> Any:
        """The value if it is one this parameter takes, else a ParameterError naming it."""
        if self.kind == "year" and value is None:
            return value
        if self.kind in ("int", "year"):
            if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
                raise ParameterError(f"{self.name}: must be a whole number from {self.low:g} to {self.high:g},"
                                     f" not {value!r}")
            return value
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not self.low <= value <= self.high:
                raise ParameterError(f"{self.name}: must be a number from {self.low:g} to {self.high:g}, not {value!r}")
            return float(value)
        if self.kind == "choice" and value not in self.choices:
            raise ParameterError(f"{self.name}: must be one of {', '.join(self.choices)}, not {value!r}")
        return value


def _specs(*specs: Spec) -> dict[str, Spec]:
    return {spec.name: spec for spec in specs}


SPECS: dict[str, Spec] = _specs(
    Spec("db_path", "", "DuckDB file built by analysis ingest, empty for data/ehandel.duckdb", "Database"),
    Spec("year", None, "measurement year, None for the latest complete year in the data", "Måleår", "year", 1990, 2100),
    Spec("level", 2, "organisation level for the area breakdown (1-4)", "Organisationsniveau", "int", 1, 4),
    Spec("top_n", 10, "units in the lowest and highest lists", "Enheder i listerne", "int", 1, 50),
    Spec("basis", "amount", "rate in kroner (amount) or in number of invoices (count)", "Opgjort i",
         "choice", choices=tuple(RATE_COLUMNS)),
    Spec("max_unclassified", MAX_UNCLASSIFIED,
         "largest share of spend no eligibility rule classifies before units are ranked only with a reason",
         "Største uklassificerede andel", "number", 0, 1),
    Spec("unclassified_reason", "", "why units are ranked although more spend is unclassified (printed in the report)",
         "Begrundelse"),
    Spec("report_date", "", "date on the title block as yyyy-mm-dd, empty for today", "Dato"),
    Spec("case_number", "", "case number (sagsnr.) on the title block", "Sagsnr."),
    Spec("comparators", COMPARATORS, "benchmark rows to show", "Sammenligning"),
    Spec("target", TARGET, "target rate, a benchmark name or a number such as 0.5", "Mål"),
    Spec("saving_per_invoice", 62.0, "process saving in kroner per e-handled invoice",
         "Besparelse pr. faktura", "number", 0, 10_000),
    Spec("price_effect", 0.0, "share of moved spend saved by agreement prices, 0 for not counted",
         "Prisgevinst", "number", 0, 0.5),
    Spec("benchmark_file", "", "a newer benchmark file to add, empty for none", "Benchmarkfil"),
    Spec("amount", DEFAULT_AMOUNT, "kroner cut per year in total", "Beløb", "int", 1, MAX_AMOUNT),
    Spec("period_start", "", "first day of another measurement period as yyyy-mm-dd, overrides year",
         "Periodens første dag"),
    Spec("period_end", "", "last day of that period as yyyy-mm-dd", "Periodens sidste dag"),
    Spec("follow_up_date", "",
         "a budget follow-up on this date (yyyy-mm-dd): the period is the whole months up to it",
         "Budgetopfølgning"),
    Spec("follow_up_window", "12m", "for a follow-up: 12m for the twelve months to it, ytd for the year to date",
         "Opfølgningsperiode", "choice", choices=tuple(FOLLOW_UP_WINDOWS)),
    Spec("n", DEFAULT_N, "number of units with the lowest rate that are cut", "Antal enheder", "int", 1, 10_000),
    Spec("key", "budget", "allocation key: budget, eligible, missed or equal", "Fordelingsnøgle",
         "choice", choices=tuple(KEYS)),
    Spec("min_spend", 0.0, "minimum eligible spend in kroner to be ranked at all", "Minimum (kr.)", "number", 0, 1e12),
    Spec("exempt_eans", "", "comma separated EAN numbers that are not ranked", "Fritag EAN"),
    Spec("exempt_types", "", "comma separated unit types that are not ranked, for example botilbud",
         "Fritag typer"),
    Spec("cap", 0.0, "largest cut as a share of the goods budget, 0 for no cap", "Loft", "number", 0, 1),
    Spec("threshold", 0.0, "against the ratchet: only units whose rate is below this are cut (N at most), 0 for none",
         "Grænse", "number", 0, 1),
    Spec("credit", 0.0, "against the ratchet: rank on the rate plus this times its rise since the year before, 0 for"
         " none", "Fradrag for forbedring", "number", 0, MAX_CREDIT),
    Spec("budget_basis", "file",
         "goods budgets: file (units file or budget file), spend (derived from eligible spend)", "Varebudget",
         "choice", choices=tuple(BUDGET_BASES)),
    Spec("replicates", 1000, "bootstrap replicates for the selection probabilities", "Gentagelser", "int", 100, 100_000),
    Spec("seed", 2026, "random seed of the bootstrap", "Startværdi", "int", 0, 2**32 - 1),
    Spec("budget_years", "",
         "budget years such as 2027-2030, empty for the four years after the measurement period", "Budgetår"),
    Spec("target_rate", 0.6, "rate the penalised units move towards", "Målprocent", "number", 0, 1),
    Spec("gap_closure", 0.3, "share of the gap to the target a penalised unit closes each year", "Årlig indhentning",
         "number", 0, 1),
    Spec("drift", 0.01, "yearly change in the rate of units that are not cut", "Årlig ændring for de øvrige",
         "number", -1, 1),
    Spec("output_dir", "", "folder for the Excel or Word file, empty for none", "Mappe"),
    Spec("price_year", 0, "price level of the budget table, 0 for the first budget year", "Prisniveau",
         "int", 0, 2100),
    Spec("amount_price_year", 0, "price level the amount was decided in, 0 for the table's own; another year is"
         " converted with price_index_file", "Beløbets prisniveau", "int", 0, 2100),
    Spec("price_index_file", "", "CSV or Excel (.xlsx, .xls) file of KL's yearly pris- og lønskøn in percent (a year"
         " and a PL column, or years across as KL's sheet has them), to convert the amount to the table's prices;"
         " empty for none", "Pris- og lønskøn"),
    Spec("proposal", "ØU08", "the proposal's number (Nr.)", "Nr."),
    Spec("committee", "Økonomiudvalget", "the committee (Udvalg)", "Udvalg"),
    Spec("case", "eboks", "eboks for the e-Boks case of 2009, ehandel for the proposal ØU08", "Business case",
         "choice", choices=tuple(CASES)),
    Spec("department_share", 0.5, "share of the net return that goes to the departments", "Forvaltningernes andel",
         "number", 0, 1),
    Spec("discount_rate", 0.04, "discount rate of the net present value", "Diskonteringsrente", "number", -0.2, 0.5),
    Spec("print_and_envelope", 1.5, "kroner per printed letter for print and envelope, an assumption",
         "Print og kuvert pr. brev", "number", 0, 100),
    Spec("minutes_saved", 1.0, "caseworker minutes saved per digital letter, an assumption", "Minutter sparet pr. brev",
         "number", 0, 120),
    Spec("hourly_cost", 400.0, "kroner per caseworker hour, an assumption", "Timepris", "number", 0, 5_000),
    Spec("proposal_title", "Øget brug af e-handel", "the proposal's title (Overskrift)", "Overskrift"),
    Spec("proposer", "Administrationen", "who puts the proposal forward (Forslagsstiller)", "Forslagsstiller"),
    Spec("expense_type", "Serviceudgifter", "the type of expense (Udgiftstype)", "Udgiftstype"),
    Spec("current_budget", 0.0, "current budget in kroner for the table's first row, the same each year, 0 for none",
         "Nuværende budget", "number", 0, 1e12),
    Spec("budget_file", "", "CSV or Excel (.xlsx, .xls) file of the affected area's budget lines (a year and an amount"
         " column), summed per budget year for the table's first row; empty for none", "Budgetfil"),
    Spec("fte_change", 0.0, "change in full-time staff (årsværk), 0 for none", "Personalekonsekvenser",
         "number", -10_000, 10_000),
    Spec("template_file", "", "the sections' fixed wording (Jinja2 markdown), empty for the package's template",
         "Skabelon"),
)


def check(name: str, value: Any) -> Any:
    """``value`` checked against the parameter ``name``'s bounds or choices."""
    return SPECS[name].check(value)


def defaults_from_spec(validator: Callable) -> Callable:
    """Give a validator's keyword-only parameters the spec's defaults, so that a default is written
    once, here, and never beside the validator's signature."""
    names = [p.name for p in inspect.signature(validator).parameters.values() if p.kind is p.KEYWORD_ONLY]
    validator.__kwdefaults__ = {name: SPECS[name].default for name in names}
    return validator


CELL_HEADER = "# Parameters (papermill: -p name value)"


def parameters_cell(names: list[str]) -> str:
    """A notebook's parameters cell for these parameters, one line each: name, default, help."""
    lines = [CELL_HEADER]
    for name in names:
        spec = SPECS[name]
        value = json.dumps(spec.default, ensure_ascii=False) if isinstance(spec.default, str) else repr(spec.default)
        lines.append(f"{name} = {value}  # {spec.help}")
    return "\n".join(lines)


def write_parameters_cells(notebook_dir: Path) -> list[Path]:
    """Rewrite each notebook's parameters cell from the spec (the cell's names and order stay the
    validator's); returns the notebooks changed."""
    from . import params  # params imports this module

    changed = []
    for path in sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cell = next(c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
        text = parameters_cell(params.names(path.stem.split("_", 1)[1]))
        if "".join(cell["source"]) != text:
            cell["source"] = text.splitlines(keepends=True)
            path.write_text(json.dumps(notebook, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":  # python -m analysis.spec [NOTEBOOK_DIR]: write the cells after a spec change
    from .paths import NOTEBOOK_DIR

    for written in write_parameters_cells(Path(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOK_DIR):
        print(f"rewrote the parameters cell of {written}")
