"""The scenario explorer: a widget panel over the penalty engine, for JupyterLab and for Voilà.

Budget officers who never open code move sliders (N, amount, key, minimum spend, cap, the rules
against the ratchet (a threshold, credit for improvement), exemptions,
measurement year) and see the allocation table, the ranking with its cut-off and the selection
probabilities, and download the allocation as Excel. Everything is computed by the tested engine
(``penalty``); what does not change between slider moves (a year's unit figures and documents,
the bootstrap for a given selection rule) is cached. A move replaces the table's HTML and the
charts' data (front-end widgets, ``live_charts``), nothing more: the Excel workbook is written only
when the download button is pressed.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import Javascript, display

from . import labels
from .. import db
from ..engines import rates
from ..errors import ParameterError
from ..formats import kr, number, pct
from ..params import text_list
from ..paths import TEMPLATE_DIR
from ..engines.penalty import (KEYS, MAX_CREDIT, RATE_COLUMNS, PenaltyParameters, PenaltyResult, replicate_rates,
                               selection_probability, simulate, with_rate_before)
from ..spec import SPECS
from .live_charts import ProbabilityChart, RankingChart
from .tables import table

COLUMNS = labels.columns("rank", "name", "unit_type", "rate", "eligible_amount", "key_value", "cut", "cut_share_of_budget")
CSS = TEMPLATE_DIR / "briefing" / "report.css"  # the reports' one style, tables included
PANEL_CSS = TEMPLATE_DIR / "explorer.css"  # the panel's own: the download button, a refused scenario greyed out
# Danish numbers beside the sliders that show none of their own (ipywidgets writes 1500000 and 0.05).
READOUTS = {
    "amount": kr,
    "min_spend": kr,
    "cap": lambda share: "intet loft" if not share else f"{pct(share)} af varebudgettet",
    "threshold": lambda rate: "ingen grænse" if not rate else f"under {pct(rate)}",
    "credit": lambda credit: "intet fradrag" if not credit else f"{number(credit, 1)} × stigningen",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Explorer:
    """Widgets and their recomputation for one database: the one scenario panel, in Voilà (``analysis
    explore``) and at the end of notebook 03, which starts it at its own parameters (``start``)."""

    def __init__(self, db_path: Path, replicates: int = 1000, start: PenaltyParameters | None = None,
                 year: int | None = None) -> None:
        con = db.connect(db_path)
        try:
            self.years = rates.years(con)
            self.default_year = rates.check_year(con, None)
            self.meta = db.meta(con)
            self.municipality = self.meta["municipality"]
            self._data = {}
            for year in self.years:
                first, last = rates.measurement_period(year)
                self._data[year] = (rates.unit_rates_between(con, first, last),
                                    rates.unit_documents_between(con, first, last))
            for year in self.years:  # credit for improvement ranks on the rise since the year before
                if year - 1 in self._data:
                    self._data[year] = (with_rate_before(self._data[year][0], self._data[year - 1][0]),
                                        self._data[year][1])
        finally:
            con.close()
        self.replicates = replicates
        self._probability = lru_cache(maxsize=64)(self._bootstrap)
        self._replicates: dict[tuple[int, str], pd.DataFrame] = {}  # every unit's replicate rates, per year and basis
        self.result: PenaltyResult | None = None
        self.scenario: tuple[int, pd.DataFrame] | None = None  # the year and bootstrap the result belongs to
        self.workbook: bytes = b""
        year = year if year in self.years else self.default_year
        units = self._data[year][0]
        ranked = int(units["rate"].notna().sum())
        first = start or PenaltyParameters(n=min(SPECS["n"].default, ranked))
        types = sorted(units["unit_type"].unique())
        label = {name: spec.label for name, spec in SPECS.items()}  # the parameters' Danish names, declared once
        self.controls = {
            "year": w.Dropdown(options=self.years, value=year, description=label["year"]),
            "n": w.IntSlider(value=min(first.n, ranked), min=1, max=ranked, description=label["n"]),
            "amount": w.IntSlider(value=first.amount, min=100_000, max=max(5_000_000, first.amount), step=50_000,
                                  description=label["amount"], readout=False),
            "key": w.Dropdown(options=[(KEYS[k][1].capitalize(), k) for k in KEYS], value=first.key,
                              description=label["key"]),
            "min_spend": w.IntSlider(value=int(first.min_spend), min=0, max=max(500_000, int(first.min_spend)),
                                     step=10_000, description=label["min_spend"], readout=False),
            "cap": w.FloatSlider(value=first.cap or 0.0, min=0.0, max=max(0.25, first.cap or 0.0), step=0.005, description=label["cap"],
                                 readout=False),
            "threshold": w.FloatSlider(value=first.threshold or 0.0, min=0.0, max=1.0, step=0.01,
                                       description=label["threshold"], readout=False),
            "credit": w.FloatSlider(value=first.credit, min=0.0, max=MAX_CREDIT, step=0.5, description=label["credit"],
                                    readout=False),
            "exempt_eans": w.Text(value=", ".join(first.exempt_eans), description=label["exempt_eans"],
                                  placeholder="EAN-numre, kommasepareret"),
        }
        # Exempt unit types: a checkbox each (a list box needed Ctrl-click for more than one).
        self.type_boxes = {kind: w.Checkbox(value=kind in first.exempt_types, description=kind, indent=False,
                                            layout=w.Layout(width="170px")) for kind in types}
        self.type_label = w.HTML(f'<span class="types">{html.escape(label["exempt_types"])}</span>')
        # Sliders whose number ipywidgets cannot write the Danish way show it beside them.
        self.readouts = {name: w.HTML() for name in READOUTS}
        self.basis, self.budget_basis = first.basis, first.budget_basis
        for control in self.controls.values():
            control.style = {"description_width": "150px"}
            control.layout = w.Layout(width="350px")
        self.status = w.HTML()
        self.summary = w.HTML()
        self.make_workbook = w.Button(description="Hent fordelingen som Excel", layout=w.Layout(width="auto"))
        self.make_workbook.add_class("download")
        self.make_workbook.on_click(lambda _button: self.prepare_download())
        self.download = w.HTML()
        self.starter = w.Output(layout=w.Layout(display="none"))  # runs the script that starts a download
        self.table = w.HTML()
        self.ranking = RankingChart()
        self.probability = ProbabilityChart()
        self.results = (self.summary, self.make_workbook, self.download, self.table, self.ranking.widget,
                        self.probability.widget)
        for control in [*self.controls.values(), *self.type_boxes.values()]:
            control.observe(lambda _change: self.recompute(), names="value")
        self._show_readouts()

    def _show_readouts(self) -> None:
        for name, readout in self.readouts.items():
            readout.value = f'<span class="readout">{html.escape(READOUTS[name](self.controls[name].value))}</span>'

    def parameters(self) -> PenaltyParameters:
        values = {name: control.value for name, control in self.controls.items()}
        return PenaltyParameters(n=values["n"], amount=values["amount"], key=values["key"], basis=self.basis,
                                 min_spend=float(values["min_spend"]), cap=values["cap"] or None,
                                 threshold=values["threshold"] or None, credit=float(values["credit"]),
                                 exempt_types=tuple(kind for kind, box in self.type_boxes.items() if box.value),
                                 exempt_eans=text_list(values["exempt_eans"]),
                                 budget_basis=self.budget_basis)

    def _bootstrap(self, year: int, parameters: PenaltyParameters) -> pd.DataFrame:
        """The selection probabilities for one rule, from the year's replicate rates (drawn once:
        a new N, minimum spend or exemption re-ranks them, it does not resample)."""
        units, documents = self._data[year]
        key = (year, parameters.basis)
        if key not in self._replicates:
            self._replicates[key] = replicate_rates(documents, documents["ean"].unique(), parameters.basis,
                                                    self.replicates)
        return selection_probability(documents, units, parameters, replicates=self.replicates,
                                     rates=self._replicates[key])

    def recompute(self) -> None:
        """Recompute everything for the current controls; a refused combination is shown, not raised."""
        self._show_readouts()
        self.status.value = '<span class="busy">Beregner …</span>'
        year = self.controls["year"].value
        units = self._data[year][0]
        try:
            parameters = self.parameters()
            result = simulate(units, parameters)
        except ParameterError as error:  # the last possible scenario stays, greyed out, until this one is
            refusal = error.danish or "Det kan ikke lade sig gøre med disse valg."
            self.status.value = f'<span class="refused">Ikke muligt: {html.escape(refusal)}</span>'
            for widget in self.results:
                widget.add_class("stale")
            return
        for widget in self.results:
            widget.remove_class("stale")
        described = parameters.describe()
        self.summary.value = (f"<p class=\"summary\">Beløb {described['Beløb (A)']} · loft {described['Loft pr. enhed']} · "
                              f"nøgle: {described['Fordelingsnøgle']}</p>")
        # The bootstrap depends only on the selection rule, not on amount, key or cap.
        probability = self._probability(year, replace(parameters, amount=1, key="equal", cap=None))
        self.result = result
        selected = result.selected
        self.table.value = table(selected, COLUMNS, caption=f"{len(selected)} enheder, {kr(int(selected['cut'].sum()))}",
                                 total={"name": "I alt", "cut": int(selected["cut"].sum())}).data
        self.ranking.update(result.table, RATE_COLUMNS[parameters.basis], result.cutoff_rate,
                            f"E-handelsprocent {year} og afskæringen ved {parameters.n} enheder")
        self.probability.update(probability, parameters.n, "Sandsynlighed for at blive udvalgt")
        self.scenario = (year, probability)
        self.workbook = b""
        self.download.value = ""  # a workbook of the last scenario would be wrong now
        self.status.value = '<span class="done">Opdateret</span>'

    def prepare_download(self) -> None:
        """Write the current scenario's workbook, offer it as a link (a data URL: nothing is stored
        on the server) and start the download, so one press of the button saves the file."""
        if self.result is None:
            return
        from . import excel  # openpyxl: imported on the first download, not in every page's kernel

        year, probability = self.scenario
        buffer = io.BytesIO()
        excel.write_workbook(buffer, self.result, excel.SheetHeader.from_meta(self.meta, str(year)), probability)
        self.workbook = buffer.getvalue()
        encoded = base64.b64encode(self.workbook).decode("ascii")
        name = f"sanktion_{year}.xlsx"
        self.download.value = (f'<a class="saved" download="{name}" href="data:{XLSX};base64,{encoded}">'
                               f'{html.escape(name)}</a>')
        self.starter.outputs = ()  # where the page runs no scripts, the link above is the way
        self.starter.append_display_data(Javascript(
            f"setTimeout(() => document.querySelector('a.saved[download=\"{name}\"]')?.click(), 0);"))

    def show(self) -> None:
        """Display the panel (and compute the first scenario)."""
        header = w.HTML(f"<style>{CSS.read_text(encoding='utf-8')}{PANEL_CSS.read_text(encoding='utf-8')}</style>"
                        f"<h2>Sanktion for lav e-handel: scenarier</h2><p>{html.escape(self.municipality)}. "
                        "Flyt skyderne; tabellen og figurerne regnes om med det samme.</p>")
        rows = [w.HBox([control, self.readouts[name]]) if name in self.readouts else control
                for name, control in self.controls.items()]
        types = w.VBox([self.type_label, w.GridBox(list(self.type_boxes.values()),
                                                   layout=w.Layout(grid_template_columns="repeat(2, 170px)"))])
        left = w.VBox([*rows, types], layout=w.Layout(min_width="460px"))
        # The charts sit beside the sliders where there is room for both (1366 px), below them where not.
        right = w.VBox([self.ranking.widget, self.probability.widget], layout=w.Layout(flex="1 1 540px"))
        actions = w.HBox([self.status, self.make_workbook, self.download, self.starter])
        display(w.VBox([header, w.HBox([left, right], layout=w.Layout(flex_flow="row wrap")), actions, self.summary,
                        self.table]))
        self.recompute()
