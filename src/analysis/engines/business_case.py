"""The municipal business-case engine: investment, gain, net return, who pays and who gets it.

How Danish municipalities decide digitisation cases (Københavns Kommune's e-Boks case, Tabel 1,
and the ØU08 e-handel proposal alike):

* the yearly **investment** is paid partly from an investment pool and partly from the
  departments' own frames;
* the departments' **gross savings** first cover their own part of the investment ("i de år, hvor
  der anvendes investeringsmidler, modregnes evt. driftsbesparelser i årets investeringer");
* what is left is the **net return**, split between the departments and the council's priority
  pool by a share (default 50/50);
* a **technical operating gain** (the pool's money spent on operations, handed back) is
  exchanged into capital funds;
* for the municipality as a whole the yearly net is gross savings minus investment; cumulative
  net, the payback year and the net present value follow from it.

All amounts are kroner in one price level; tables are printed in 1.000 kr. with the sign
convention of the seeds ((-) = mindreudgift/merindtægt is the budget view; in Tabel 1 an outlay
is negative and a gain positive, as the document prints it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..formats import thousands
from .penalty import allocate

CASES = {"eboks": "e-Boks til borgerne (Københavns Kommune 2009)", "ehandel": "Øget brug af e-handel (ØU08)"}


@dataclass(frozen=True)
class BusinessCase:
    """Inputs per year (kr., positive numbers); all lists as long as ``years``."""

    years: tuple[int, ...]
    investment: tuple[float, ...]  # total investment
    from_pool: tuple[float, ...]  # of which paid from the investment pool
    gross_savings: tuple[float, ...]  # the departments' operating savings
    technical_gain: tuple[float, ...] = ()  # operating gain exchanged into capital funds (default none)
    budget_reduction: tuple[float, ...] = ()  # savings taken out of the budget up front (ØU08); default none
    department_share: float = 0.5  # of the net return
    price_year: int = 0  # 0: the first year

    def __post_init__(self) -> None:
        n = len(self.years)
        if n == 0 or list(self.years) != sorted(set(self.years)):
            raise ParameterError(f"years: must be increasing years, not {self.years!r}")
        for name in ("investment", "from_pool", "gross_savings", "technical_gain", "budget_reduction"):
            values = getattr(self, name)
            if values and len(values) != n:
                raise ParameterError(f"{name}: {len(values)} values for {n} years")
            if any(v < 0 for v in values):
                raise ParameterError(f"{name}: amounts are given as positive kroner")
        if any(p > i + 1e-9 for p, i in zip(self.from_pool, self.investment)):
            raise ParameterError("from_pool: the pool cannot pay more than the investment")
        if not 0 <= self.department_share <= 1:
            raise ParameterError(f"department_share: must be from 0 to 1, not {self.department_share!r}")

    def _series(self, values: tuple[float, ...]) -> np.ndarray:
        return np.asarray(values if values else [0.0] * len(self.years), dtype=float)


def evaluate(case: BusinessCase) -> pd.DataFrame:
    """Every row of the case per year, in kroner, unrounded (years as columns)."""
    investment = case._series(case.investment)
    pool = case._series(case.from_pool)
    departments = investment - pool
    savings = case._series(case.gross_savings)
    net_return = np.maximum(savings - departments, 0.0)
    reduction = case._series(case.budget_reduction)
    net = savings - investment
    rows = {
        "Investering i alt": -investment,
        "Fra investeringspuljen": -pool,
        "Fra fagforvaltningerne": -departments,
        "Gevinst i alt": net_return,
        "Nettoafkast til forvaltningerne": net_return * case.department_share,
        "Nettoafkast til prioriteringsrum": net_return * (1 - case.department_share),
        "Teknisk driftsgevinst til prioriteringsrum (veksles til anlæg)": case._series(case.technical_gain),
        "Effektivisering (budgetreduktion)": -reduction,
        "Bruttobesparelse": savings,
        "Nettoeffekt for kommunen": net,
        "Akkumuleret nettoeffekt": np.cumsum(net),
    }
    return pd.DataFrame(rows, index=list(case.years)).T


def in_thousands(table: pd.DataFrame, rows: list[str] | None = None) -> pd.DataFrame:
    """The rows in whole 1.000 kr., each figure rounded on its own (as a printed table is)."""
    chosen = table.loc[rows] if rows else table
    return chosen.apply(lambda column: column.map(thousands))


def payback_year(case: BusinessCase) -> int | None:
    """The first year in which the cumulative net effect is zero or positive (None: never)."""
    cumulative = evaluate(case).loc["Akkumuleret nettoeffekt"]
    reached = cumulative[cumulative >= 0]
    return int(reached.index[0]) if len(reached) else None


def net_present_value(case: BusinessCase, rate: float) -> float:
    """NPV of the municipality's yearly net effect, discounted to the first year (year 1 undiscounted)."""
    if not -0.5 < rate < 1:
        raise ParameterError(f"discount rate: must be between -50 % and 100 %, not {rate!r}")
    net = evaluate(case).loc["Nettoeffekt for kommunen"].to_numpy()
    return float(np.sum(net / (1 + rate) ** np.arange(len(net))))


TABLE_1_ROWS = ["Investering i alt", "Fra investeringspuljen", "Fra fagforvaltningerne", "Gevinst i alt",
                "Nettoafkast til forvaltningerne", "Nettoafkast til prioriteringsrum",
                "Teknisk driftsgevinst til prioriteringsrum (veksles til anlæg)"]

# Københavns Kommune, e-Boks til borgerne (2008-127863), Tabel 1, t.kr. (2009 P/L), as printed.
TABLE_1_PRINTED = {
    "Investering i alt": [-5539, -5470, -2693, -2494, -1564, -1564, -1564, -1564, -1564, -1564],
    "Fra investeringspuljen": [-2929, -2329, -311, -259, 0, 0, 0, 0, 0, 0],
    "Fra fagforvaltningerne": [-2610, -3141, -2383, -2235, -1564, -1564, -1564, -1564, -1564, -1564],
    "Gevinst i alt": [0, 0, 3658, 4527, 6127, 6127, 6127, 6127, 6127, 6127],
    "Nettoafkast til forvaltningerne": [0, 0, 1829, 2264, 3063, 3063, 3063, 3063, 3063, 3063],
    "Nettoafkast til prioriteringsrum": [0, 0, 1829, 2264, 3063, 3063, 3063, 3063, 3063, 3063],
    "Teknisk driftsgevinst til prioriteringsrum (veksles til anlæg)": [0, 1078, 311, 259, 0, 0, 0, 0, 0, 0],
}


def eboks_case() -> BusinessCase:
    """The e-Boks case from the document's inputs.

    Stated in the text: 2009's investment of 5,54 mio. kr. = 2,55 mio. kr. capital grant + 0,38
    mio. kr. to the Økonomiudvalg (both from the pool) + 2,61 mio. kr. from the departments' own
    frames; the 50/50 split of the net return. Given by Tabel 1 only (the document states no
    other basis for them): the later years' pool and department financing, the departments' gross
    savings (their financing plus the net gain: savings first cover their own part) and the
    technical operating gain. Derived: every total, both halves of the net return, cumulative
    net, payback and NPV.
    """
    years = tuple(range(2009, 2019))
    from_pool = (2_550_000 + 380_000, 2_329_000, 311_000, 259_000, 0, 0, 0, 0, 0, 0)
    from_departments = (2_610_000, 3_141_000, 2_383_000, 2_235_000) + (1_564_000,) * 6
    net_gain = (0, 0, 3_658_000, 4_527_000) + (6_127_000,) * 6
    return BusinessCase(
        years=years,
        investment=tuple(p + d for p, d in zip(from_pool, from_departments)),
        from_pool=from_pool,
        gross_savings=tuple(d + g for d, g in zip(from_departments, net_gain)),
        technical_gain=(0, 1_078_000, 311_000, 259_000, 0, 0, 0, 0, 0, 0),
        department_share=0.5,
        price_year=2009,
    )


def ehandel_case(amount: int, years: tuple[int, ...], yearly_saving: float) -> BusinessCase:
    """ØU08 as a business case: no investment; the efficiency cut taken out of the budget each year;
    the savings estimate (benchmark notebook) as the gross savings it has to be earned from."""
    n = len(years)
    return BusinessCase(years=years, investment=(0.0,) * n, from_pool=(0.0,) * n,
                        gross_savings=(float(yearly_saving),) * n, budget_reduction=(float(amount),) * n,
                        price_year=years[0])


@dataclass(frozen=True)
class DigitalPost:
    """Letters per department and year, enrolment in digital post, and the cost of a printed letter.

    Postage per year comes from the sourced price series (``POSTAGE``); print and envelope cost,
    caseworker minutes saved and their cost are assumptions (parameters, not facts).
    """

    letters: dict[str, int] = field(default_factory=lambda: dict(DEPARTMENT_LETTERS))
    enrolment: dict[int, float] = field(default_factory=lambda: dict(ENROLMENT))
    print_and_envelope: float = 1.50  # kr. per letter, assumption (no Danish source found)
    minutes_saved: float = 1.0  # caseworker minutes per letter sent digitally, assumption
    hourly_cost: float = 400.0  # kr. per caseworker hour, assumption

    def __post_init__(self) -> None:
        if not self.letters or any(v < 0 for v in self.letters.values()):
            raise ParameterError("letters: give a non-negative number of letters per department")
        if any(not 0 <= v <= 1 for v in self.enrolment.values()):
            raise ParameterError("enrolment: shares must be from 0 to 1")


# Post Danmark/PostNord letter postage, kr. (domain-facts.md §5.2); a year without a new price keeps
# the last known one.
POSTAGE = {2004: 4.50, 2010: 5.50, 2014: 9.00, 2015: 10.00, 2016: 19.00, 2018: 9.00}
POSTAGE_SOURCE = ("Porto for et A-brev: 4,50 kr. (2004), 5,50 kr. (ca. 2010), 9 kr. (2014), 10 kr. (2015), "
                  "19 kr. (2016), 9 kr. for et almindeligt brev (2018); Berlingske, dagens.dk, finans.dk, nordjyske")
# Share of citizens receiving digital post: 2014 and 2015 are sourced (59 % in October 2014, 89 % in
# November 2015); the years before 2014 are an assumed ramp (no source found for 2009-2013).
ENROLMENT = {2009: 0.05, 2010: 0.10, 2011: 0.15, 2012: 0.25, 2013: 0.40, 2014: 0.59, 2015: 0.89, 2016: 0.89,
             2017: 0.89, 2018: 0.89}
ENROLMENT_SOURCE = ("Tilmeldt digital post: 59 % (oktober 2014, Berlingske), 89 % (november 2015, cedi.dk); "
                    "2009-2013 er en antaget indfasning")
# Synthetic split of about 3 million letters a year over Københavns Kommune's seven departments.
DEPARTMENT_LETTERS = {
    "Beskæftigelses- og Integrationsforvaltningen": 820_000,
    "Socialforvaltningen": 610_000,
    "Børne- og Ungdomsforvaltningen": 540_000,
    "Sundheds- og Omsorgsforvaltningen": 430_000,
    "Økonomiforvaltningen": 310_000,
    "Teknik- og Miljøforvaltningen": 190_000,
    "Kultur- og Fritidsforvaltningen": 100_000,
}


def postage(year: int) -> float:
    """The letter postage in force in a year (the last known price at or before it)."""
    known = [y for y in POSTAGE if y <= year]
    if not known:
        raise ParameterError(f"no postage price known for {year} (series starts {min(POSTAGE)})")
    return POSTAGE[max(known)]


def digital_post_gain(model: DigitalPost, years: tuple[int, ...]) -> pd.DataFrame:
    """Gain per department and year (kr.): letters sent digitally × (postage + print and envelope
    + caseworker time saved)."""
    rows = {}
    for year in years:
        if year not in model.enrolment:
            raise ParameterError(f"enrolment: no share given for {year}")
        per_letter = postage(year) + model.print_and_envelope + model.minutes_saved / 60 * model.hourly_cost
        rows[year] = {d: letters * model.enrolment[year] * per_letter for d, letters in model.letters.items()}
    return pd.DataFrame(rows)


def distribution_key(letters: dict[str, int]) -> pd.Series:
    """Each department's share of the letters: the key for investment and return."""
    total = sum(letters.values())
    if total <= 0:
        raise ParameterError("letters: the departments send no letters")
    return pd.Series({d: v / total for d, v in letters.items()})


def distribute(key: pd.Series, amounts: pd.Series) -> pd.DataFrame:
    """Split each year's amount (kr.) over the departments by the key, in whole kroner that sum
    exactly to the year's (rounded) amount."""
    out = {}
    for year, amount in amounts.items():
        whole = int(round(abs(amount)))
        share = allocate(key.to_numpy(), whole) if whole else np.zeros(len(key), dtype=int)
        out[year] = pd.Series(np.sign(amount) * share, index=key.index).astype(int)
    return pd.DataFrame(out)
