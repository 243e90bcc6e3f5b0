"""The ØU08 penalty: rank units by e-handel rate, select the N lowest, cut amount A among them.

Pure functions on a DataFrame of per-unit figures (``rates.unit_rates_between``), so the same
engine serves the notebook, the sliders, the CLI, the Excel export and the tests.

Rules (stated in every output):

* **Ranked units**: units with eligible spend of at least ``min_spend`` kr. and a rate from 0 to
  100 % that are not exempt (by EAN or by unit type). The others are listed with the reason they
  are not ranked (``PenaltyResult.not_ranked``).
* **Against the ratchet** (optional): with a ``threshold`` only units whose rate is below it can
  be cut, so N is a maximum and a unit that passes the threshold is safe whatever the others do;
  with ``credit`` a unit is ranked on its rate plus ``credit`` times its rise since the year before
  (the units need ``rate_before``), so improvement counts even when others improve more.
* **Order**: lowest rate first (with credit: the credited rate); equal rates are ordered by larger missed e-handel spend first, then
  by EAN, so the order is total and reproducible. Units whose rate equals the rate at the cut-off
  are flagged, so a tie decided by this rule is visible.
* **Allocation**: A is shared in proportion to the key (goods budget, eligible spend, missed
  e-handel spend or equal shares); with a cap, no unit loses more than ``cap`` × its goods budget
  and the excess goes to the others in proportion to their keys. Whole kroner by largest
  remainder, summing exactly to A, in exact arithmetic. A cut above ``LARGE_CUT`` of a unit's
  goods budget is pointed out (``PenaltyResult.large_cuts``).
"""

from __future__ import annotations

import difflib
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..formats import kr, number, pct

KEYS = {
    "budget": ("goods_budget", "varebudget"),
    "eligible": ("eligible_amount", "e-handelsegnet forbrug"),
    "missed": ("missed_amount", "ikke e-handlet forbrug"),
    "equal": (None, "lige store andele"),
}
RATE_COLUMNS = {"amount": "rate", "count": "count_rate"}  # a basis ranks by this column of the units table
# Where a unit's goods budget (the budget key, the cap, the cut's share of budget) comes from.
BUDGET_BASES = {"file": "varebudget fra enhedsfilen eller budgetfilen",
                "spend": "varebudget afledt af enhedens e-handelsegnede forbrug i måleperioden"}
DEFAULT_N = 30  # ØU08: the 30 units with the lowest rate ...
DEFAULT_AMOUNT = 1_500_000  # ... lose 1,5 mio. kr. a year between them
MAX_AMOUNT = 10**12  # 1.000 mia. kr.: beyond any municipal budget, and exact in a float's 53 bits
# A unit's placement is uncertain when the bootstrap contradicts it in more than this share of the
# replicates: a selected unit selected in fewer than 80 % of them, another in more than 20 %.
DISAGREEMENT = 0.2

STATUS_SELECTED = "Udvalgt"
STATUS_NOT_SELECTED = "Ikke udvalgt"
STATUS_EXEMPT = "Fritaget"
STATUS_BELOW_MINIMUM = "Under minimumsforbrug"
STATUS_NO_SPEND = "Ingen e-handelsegnede køb (forbrug på 0 kr. eller derunder)"
# Credit notes that net only against non-e-handel spend can push a rate below 0 % (or above
# 100 %): such a unit would be ranked lowest and cut on an export quirk, so it is listed instead.
STATUS_RATE_OUT_OF_RANGE = "E-handelsprocent under 0 % eller over 100 % (kreditnotaer; tjek købene)"
STATUS_ABOVE_THRESHOLD = "E-handelsprocent på eller over grænsen"
LARGE_CUT = 0.10  # a cut above this share of a unit's goods budget is pointed out in every report
MAX_CREDIT = 10.0  # credit for improvement: a rise of 1 point counts as at most 10 points


@dataclass(frozen=True)
class PenaltyParameters:
    """What the committee decides: how many units, how much, by which key, and the rules."""

    n: int = DEFAULT_N
    amount: int = DEFAULT_AMOUNT
    key: str = "budget"
    basis: str = "amount"
    min_spend: float = 0.0
    exempt_eans: tuple[str, ...] = ()
    exempt_types: tuple[str, ...] = ()
    cap: float | None = None
    budget_basis: str = "file"
    threshold: float | None = None  # only units below this rate can be cut; N is then a maximum
    credit: float = 0.0  # ranked on rate + credit × the rise since the year before

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ParameterError(f"n: the number of units to cut must be a whole number of at least 1, not {self.n!r}")
        if (isinstance(self.amount, bool) or not isinstance(self.amount, (int, np.integer))
                or not 0 < self.amount <= MAX_AMOUNT):
            raise ParameterError(f"amount: must be a whole number of kroner from 1 to {MAX_AMOUNT:,}, not {self.amount!r}")
        if self.key not in KEYS:
            raise ParameterError(f"key: must be one of {', '.join(KEYS)}, not {self.key!r}")
        if self.basis not in RATE_COLUMNS:
            raise ParameterError(f"basis: must be one of {', '.join(RATE_COLUMNS)}, not {self.basis!r}")
        if not (isinstance(self.min_spend, (int, float)) and math.isfinite(self.min_spend) and self.min_spend >= 0):
            raise ParameterError(f"min_spend: must be zero or a positive number of kroner, not {self.min_spend!r}")
        if self.cap is not None and not (isinstance(self.cap, (int, float)) and 0 < self.cap <= 1):
            raise ParameterError(f"cap: must be a share of the goods budget above 0 and at most 1, not {self.cap!r}")
        if self.budget_basis not in BUDGET_BASES:
            raise ParameterError(f"budget_basis: must be one of {', '.join(BUDGET_BASES)}, not {self.budget_basis!r}")
        if self.threshold is not None and not (isinstance(self.threshold, (int, float)) and 0 < self.threshold <= 1):
            raise ParameterError(f"threshold: must be a rate above 0 and at most 1, not {self.threshold!r}")
        if not (isinstance(self.credit, (int, float)) and math.isfinite(self.credit)
                and 0 <= self.credit <= MAX_CREDIT):
            raise ParameterError(f"credit: must be a number from 0 to {MAX_CREDIT:g}, not {self.credit!r}")

    @property
    def key_label(self) -> str:
        """The allocation key in Danish, saying so when the goods budget is derived from spend."""
        derived = self.key == "budget" and self.budget_basis == "spend"
        return KEYS[self.key][1] + (" (afledt af e-handelsegnet forbrug)" if derived else "")

    @property
    def budget_label(self) -> str:
        """The goods budget's column header in Danish."""
        return "Varebudget" if self.budget_basis == "file" else "Varebudget (afledt af forbrug)"

    def facts(self) -> list[tuple[str, object, str]]:
        """The parameters as (Danish label, value, kind), kind one of ``count``, ``kroner``, ``cap``
        and ``text``: the Excel sheet keeps numbers as numbers, ``describe`` writes the same as text."""
        return [
            ("Antal enheder (N)", int(self.n), "count"),
            ("Beløb (A)", int(self.amount), "kroner"),
            ("Fordelingsnøgle", self.key_label, "text"),
            ("Varebudget", BUDGET_BASES[self.budget_basis], "text"),
            ("Opgørelse af e-handelsprocent", "kroner" if self.basis == "amount" else "antal fakturaer", "text"),
            ("Minimum e-handelsegnet forbrug", float(self.min_spend), "kroner"),
            ("Fritagne enheder (EAN)", ", ".join(self.exempt_eans) or "ingen", "text"),
            ("Fritagne enhedstyper", ", ".join(self.exempt_types) or "ingen", "text"),
            ("Loft pr. enhed", "intet" if self.cap is None else float(self.cap), "text" if self.cap is None else "cap"),
            ("Grænse for e-handelsprocent", "ingen" if self.threshold is None else float(self.threshold),
             "text" if self.threshold is None else "share"),
            ("Fradrag for forbedring", "intet" if not self.credit else
             f"{number(self.credit, 1)} gange stigningen siden året før", "text"),
            ("Regel ved lige e-handelsprocent", "størst ikke e-handlet forbrug først, derefter EAN", "text"),
        ]

    def describe(self) -> dict[str, str]:
        """The parameters in Danish, as text for tables and sentences."""
        shown = {"count": str, "kroner": kr, "cap": lambda share: f"{pct(share)} af varebudgettet",
                 "share": pct, "text": str}
        return {label: shown[kind](value) for label, value, kind in self.facts()}


@dataclass
class PenaltyResult:
    """All units with their status and cut, and facts about the selection."""

    parameters: PenaltyParameters
    table: pd.DataFrame  # every unit: rank, status, key value, cut, cut in % of budget
    cutoff_rate: float
    tied_at_cutoff: list[str] = field(default_factory=list)  # EANs sharing the cut-off rate

    @property
    def selected(self) -> pd.DataFrame:
        return self.table[self.table["status"] == STATUS_SELECTED]

    @property
    def not_ranked(self) -> pd.DataFrame:
        """Units left out of the ranking, each with its reason in ``status`` (not those above a
        threshold: they are ranked out by the rule, not for want of figures)."""
        return self.table[self.table["rank"].isna() & (self.table["status"] != STATUS_ABOVE_THRESHOLD)]

    @property
    def large_cuts(self) -> pd.DataFrame:
        """Selected units losing more than ``LARGE_CUT`` of their goods budget, largest share first."""
        selected = self.selected
        return selected[selected["cut_share_of_budget"] > LARGE_CUT].sort_values("cut_share_of_budget", ascending=False)


def exempt_units(units: pd.DataFrame, parameters: PenaltyParameters) -> pd.Series:
    """Which units the exemptions spare. Unit types match whatever their case (``Botilbud`` is
    ``botilbud``); an EAN that is no unit, or a type that no unit has, is refused, because a typo
    would otherwise leave ranked, and perhaps cut, the very unit the committee meant to spare."""
    types = units["unit_type"].fillna("").astype(str).str.strip().str.casefold()
    wanted = {text.strip().casefold() for text in parameters.exempt_types}
    problems = []
    if unknown := sorted(set(parameters.exempt_eans) - set(units["ean"])):
        problems.append(f"exempt_eans: {', '.join(unknown)} is no unit's EAN in the database")
    known = sorted(set(units["unit_type"].dropna().astype(str).str.strip()) - {""})
    for text in parameters.exempt_types:
        if text.strip().casefold() not in set(types):
            close = difflib.get_close_matches(text.strip().casefold(), [k.casefold() for k in known], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"exempt_types: no unit has the type {text!r}{hint}; the types are {', '.join(known)}")
    if problems:
        raise ParameterError("; ".join(problems), danish="Et fritaget EAN-nummer eller en fritaget enhedstype findes ikke blandt "
                             "enhederne.")
    return units["ean"].isin(parameters.exempt_eans) | types.isin(wanted)


def lowest_rate_first(units: pd.DataFrame, rate: str) -> pd.DataFrame:
    """The one ranking order, for the penalty and every "lowest rate" list: lowest ``rate`` first,
    equal rates by larger missed e-handel spend first, then by EAN (total and reproducible)."""
    return units.sort_values([rate, "missed_amount", "ean"], ascending=[True, False, True], kind="stable")


def rank_units(units: pd.DataFrame, parameters: PenaltyParameters) -> pd.DataFrame:
    """Every unit with a status and, for ranked units, its rank (1 = lowest rate)."""
    rate = RATE_COLUMNS[parameters.basis]
    table = units.copy()
    table["status"] = STATUS_NOT_SELECTED
    no_spend = ~(table["eligible_amount"] > 0) | table[rate].isna()
    table.loc[no_spend, "status"] = STATUS_NO_SPEND
    outside = ~no_spend & ~table[rate].between(0, 1)
    table.loc[outside, "status"] = STATUS_RATE_OUT_OF_RANGE
    below = ~no_spend & ~outside & (table["eligible_amount"] < parameters.min_spend)
    table.loc[below, "status"] = STATUS_BELOW_MINIMUM
    table.loc[exempt_units(table, parameters), "status"] = STATUS_EXEMPT
    ranked = table["status"] == STATUS_NOT_SELECTED
    if parameters.threshold is not None:
        above = ranked & (table[rate] >= parameters.threshold)
        table.loc[above, "status"] = STATUS_ABOVE_THRESHOLD
        ranked &= ~above
    table["ranking_rate"] = ranking_rate(table, parameters)
    order = lowest_rate_first(table[ranked], "ranking_rate").index
    table["rank"] = pd.Series(np.arange(1, len(order) + 1), index=order).reindex(table.index).astype("Int64")
    return table


def ranking_rate(units: pd.DataFrame, parameters: PenaltyParameters, rates: Any = None) -> Any:
    """What units are ranked on: the rate (``rates``, default the units' own), plus with credit
    ``credit`` times its rise since the year before (``rate_before``; none without a rate then)."""
    rate = units[RATE_COLUMNS[parameters.basis]] if rates is None else rates
    if not parameters.credit:
        return rate
    if "rate_before" not in units:
        raise ParameterError(danish="Fradrag for forbedring kræver tal for hele året før måleperioden.",
                             message="credit: ranking with credit for improvement needs each unit's rate the year before,"
                             " and the measurement period has no whole year before it in the data")
    before = units["rate_before"].to_numpy(dtype=float)
    rise = np.nan_to_num(np.clip(np.asarray(rate, dtype=float) - before, 0, None), nan=0.0)
    return rate + parameters.credit * rise


def exact(value: float) -> Fraction:
    """A float as the decimal a person typed or a file held: 0.051 is 51/1000, not the binary
    0.05099999…, so 5,1 % of 292.000 kr. is exactly 14.892 kr."""
    return Fraction(Decimal(repr(float(value))))


def budget_caps(goods_budgets: np.ndarray, cap: float) -> np.ndarray:
    """Each unit's cap in whole kroner, rounded down: ``cap`` × its goods budget, computed exactly."""
    share = exact(cap)
    return np.array([math.floor(exact(budget) * share) for budget in goods_budgets], dtype=np.int64)


def allocate(weights: np.ndarray, amount: int, caps: np.ndarray | None = None) -> np.ndarray:
    """Split ``amount`` whole kroner in proportion to ``weights``, each at most its cap (whole kroner).

    Excess over a cap is redistributed among the uncapped in proportion to their weights (repeated
    until no cap binds); the result is rounded by largest remainder (ties: earlier position first)
    and sums exactly to ``amount``. The arithmetic is exact (fractions of the weights as decimals),
    so no krone moves on a float's rounding.
    """
    values = np.asarray(weights, dtype=float)
    if len(values) == 0 or not np.isfinite(values).all() or (values < 0).any() or values.sum() <= 0:
        raise ParameterError("the allocation key is zero or negative for every selected unit")
    key = [exact(value) for value in values]
    limit = [None] * len(key) if caps is None else [int(c) for c in caps]
    if caps is not None and sum(limit) < amount:
        raise ParameterError(f"the cap is too small: the selected units can lose at most {sum(limit)} kr. "
                             f"together, less than the amount {amount} kr.",
                             danish=f"Loftet er for lavt: de udvalgte enheder kan tilsammen højst miste {kr(sum(limit))},"
                                    f" mindre end beløbet på {kr(amount)}.")
    share = [Fraction(0)] * len(key)
    fixed = [False] * len(key)
    while True:
        free = [i for i in range(len(key)) if not fixed[i] and key[i] > 0]
        if not free:
            raise ParameterError("the cap is too small to place the amount on units with a positive key",
                                 danish="Loftet er for lavt til at placere beløbet.")
        remaining = amount - sum(share[i] for i in range(len(key)) if fixed[i])
        total = sum(key[i] for i in free)
        for i in free:
            share[i] = remaining * key[i] / total
        over = [i for i in free if limit[i] is not None and share[i] > limit[i]]
        if not over:
            break
        for i in over:
            share[i], fixed[i] = Fraction(limit[i]), True
    whole = [math.floor(value) for value in share]
    short = amount - sum(whole)
    open_ = [i for i in range(len(key)) if not fixed[i] and (limit[i] is None or whole[i] < limit[i])]
    for i in sorted(open_, key=lambda i: (-(share[i] - whole[i]), i))[:short]:
        whole[i] += 1
    return np.array(whole, dtype=np.int64)


def simulate(units: pd.DataFrame, parameters: PenaltyParameters) -> PenaltyResult:
    """Rank, select the N lowest and allocate the amount: the proposal for one measurement period."""
    table = rank_units(units, parameters)
    ranked = int(table["rank"].notna().sum())
    if ranked == 0:
        raise ParameterError("no unit can be ranked: the period has no eligible purchases after exemptions"
                             + ("" if parameters.threshold is None else f", below the threshold {pct(parameters.threshold)}"),
                             danish="Ingen enhed kan rangeres med disse fritagelser" + (
                                 "" if parameters.threshold is None else f" under grænsen på {pct(parameters.threshold)}")
                             + ".")
    n = selected_count(parameters, ranked)
    selected = table["rank"].le(n).fillna(False).astype(bool)
    table.loc[selected, "status"] = STATUS_SELECTED
    if parameters.budget_basis == "spend":
        table["goods_budget"] = table["eligible_amount"].clip(lower=0)
    if parameters.key == "budget" or parameters.cap is not None:
        _check_budgets(table[selected], parameters)
    column, _ = KEYS[parameters.key]
    table["key_value"] = np.where(selected, 1.0 if column is None else table[column].clip(lower=0), np.nan)
    order = table[selected].sort_values("rank").index
    caps = None if parameters.cap is None else budget_caps(table.loc[order, "goods_budget"].to_numpy(), parameters.cap)
    cuts = allocate(table.loc[order, "key_value"].to_numpy(), parameters.amount, caps)
    table["cut"] = pd.Series(cuts, index=order).reindex(table.index).fillna(0).astype(np.int64)
    table["cut_share_of_budget"] = np.where(table["goods_budget"] > 0, table["cut"] / table["goods_budget"], np.nan)
    table["capped"] = False
    if caps is not None:
        table.loc[order, "capped"] = cuts >= caps
    cutoff = float(table.loc[table["rank"] == n, "ranking_rate"].iloc[0])
    tied = table[(table["rank"].notna()) & (table["ranking_rate"] == cutoff)]
    table = table.sort_values(["rank", "status", "ean"], na_position="last").reset_index(drop=True)
    tied_eans = tied.sort_values("rank")["ean"].tolist()  # in the ranking's order, as the rule says
    return PenaltyResult(parameters, table, cutoff, tied_eans if len(tied) > 1 else [])


def selected_count(parameters: PenaltyParameters, ranked: int) -> int:
    """How many units are cut: N, or with a threshold at most N (those below it may be fewer)."""
    if parameters.threshold is not None:
        return min(parameters.n, ranked)
    if parameters.n > ranked:
        raise ParameterError(f"n: {parameters.n} units to cut, but only {ranked} units can be ranked",
                             danish=f"Der skal rammes {parameters.n} enheder, men kun {ranked} kan rangeres.")
    return parameters.n


def _check_budgets(selected: pd.DataFrame, parameters: PenaltyParameters) -> None:
    """The budget key and the cap need every selected unit's goods budget; refuse, naming the ways out."""
    missing = selected[selected["goods_budget"].isna()]
    if len(missing):
        needs = "key budget" if parameters.key == "budget" else "cap"
        raise ParameterError(
            f"{needs}: {len(missing)} of the {len(selected)} selected units have no goods budget (e.g."
            f" {', '.join(missing['ean'].head(3))}): the units file gives none (Varebudget) and no budget file"
            " (budgetter… by cost centre and art, with omkostningssteder…) covers them. Use key eligible, missed or"
            " equal (and no cap), add the budgets, or set budget_basis spend to derive each unit's goods budget"
            " from its eligible spend (labelled so in every output)",
            danish=f"{len(missing)} af de {len(selected)} udvalgte enheder har intet varebudget: vælg en anden "
                   "fordelingsnøgle end varebudget, og intet loft.")


def compare(units: pd.DataFrame, parameters: PenaltyParameters, **variations: list[Any]
            ) -> tuple[pd.DataFrame, dict[Any, str]]:
    """Cuts per unit under variations of one parameter, e.g. ``compare(units, p, n=[20, 30, 40])``.

    Returns one column of cuts (kr.) per feasible value, indexed by EAN, for units cut in any
    variation, and the values the engine refused with its reason (e.g. a cap too small for N=10).
    """
    (name, values), = variations.items()
    columns, refused = {}, {}
    for value in values:
        try:
            result = simulate(units, replace(parameters, **{name: value}))
        except ParameterError as error:
            refused[value] = str(error)
            continue
        columns[value] = result.table.set_index("ean")["cut"]
    frame = pd.DataFrame(columns)
    return frame[(frame > 0).any(axis=1)], refused


def replicate_rates(documents: pd.DataFrame, eans: Iterable[str], basis: str, replicates: int = 1000,
                    seed: int = 2026) -> pd.DataFrame:
    """Each unit's e-handel rate in ``replicates`` bootstrap resamples of its own documents
    (invoices, credit notes, card purchases): one column per EAN, one row per replicate.

    A unit's draws come from its own random stream (the seed and its EAN), so they do not depend
    on which other units are ranked: the explorer computes the matrix once per year and basis and
    every selection rule reuses it, with exactly the figures a fresh computation gives.
    Vectorised per unit (no loop over replicates): a unit's replicate rates come from one index matrix.
    """
    by_unit = dict(tuple(documents.groupby("ean", sort=False)))
    columns = {}
    for ean in eans:
        docs = by_unit[ean]
        if basis == "amount":
            numerator = (docs["amount"] * docs["is_ehandel"]).to_numpy()
            denominator = docs["amount"].to_numpy()
        else:
            invoice = ~docs["is_credit_note"].to_numpy()
            numerator, denominator = (invoice & docs["is_ehandel"].to_numpy()).astype(float), invoice.astype(float)
        rng = np.random.default_rng([seed, zlib.crc32(str(ean).encode("utf-8"))])
        draw = rng.integers(0, len(docs), size=(replicates, len(docs)))
        with np.errstate(invalid="ignore", divide="ignore"):
            columns[ean] = numerator[draw].sum(axis=1) / denominator[draw].sum(axis=1)
    return pd.DataFrame(columns, index=pd.RangeIndex(replicates, name="replicate"))


def selection_probability(documents: pd.DataFrame, units: pd.DataFrame, parameters: PenaltyParameters,
                          replicates: int = 1000, seed: int = 2026, rates: pd.DataFrame | None = None) -> pd.DataFrame:
    """How likely each ranked unit is to be among the N lowest, by bootstrap over its invoices.

    Every replicate (``replicate_rates``) is ranked like the real data. ``rates`` may be given
    precomputed for the same documents, basis, replicates and seed (any superset of the units).
    """
    table = rank_units(units, parameters)
    # With a threshold a unit above it in the real data may fall below it in a replicate.
    candidates = table[table["rank"].notna() | (table["status"] == STATUS_ABOVE_THRESHOLD)]
    ranked = candidates.sort_values(["rank", "ranking_rate", "ean"], na_position="last")
    n = selected_count(parameters, int(table["rank"].notna().sum()))
    if rates is None:
        rates = replicate_rates(documents, ranked["ean"], parameters.basis, replicates, seed)
    rates = rates[list(ranked["ean"])].to_numpy()
    values = np.asarray(ranking_rate(ranked, parameters, rates))
    if parameters.threshold is not None:
        values = np.where(rates >= parameters.threshold, np.inf, values)
    values = np.nan_to_num(values, nan=np.inf)  # a replicate without eligible spend cannot be ranked low
    order = np.argsort(values, axis=1, kind="stable")  # ties keep the real ranking's order
    selected = np.zeros_like(values, dtype=bool)
    np.put_along_axis(selected, order[:, :n], True, axis=1)
    selected &= np.isfinite(values)  # with a threshold, fewer than N may be below it
    result = ranked[["ean", "name", "unit_type", "eligible_amount", RATE_COLUMNS[parameters.basis], "rank"]].copy()
    result["probability"] = selected.mean(axis=0)
    result["selected"] = (result["rank"] <= n).fillna(False).astype(bool)
    result["uncertain"] = uncertain(result["probability"], result["selected"])
    return result.reset_index(drop=True)


def uncertain(probability: pd.Series, selected: pd.Series) -> pd.Series:
    """The one definition of an uncertain placement (see ``DISAGREEMENT``), for every report."""
    return (selected & (probability < 1 - DISAGREEMENT)) | (~selected & (probability > DISAGREEMENT))


@dataclass(frozen=True)
class Certainty:
    """How sure the selection is, counted once for every report that states it."""

    selected: int  # units selected
    sure: int  # selected units selected in at least 80 % of the replicates
    uncertain: int  # units whose placement is uncertain, selected or not
    uncertain_selected: int
    replicates: int

    @classmethod
    def of(cls, probability: pd.DataFrame, replicates: int) -> Certainty:
        selected, unsure = probability["selected"], probability["uncertain"]
        return cls(int(selected.sum()), int((selected & ~unsure).sum()), int(unsure.sum()),
                   int((selected & unsure).sum()), replicates)

    @property
    def uncertain_not_selected(self) -> int:
        return self.uncertain - self.uncertain_selected


@dataclass(frozen=True)
class Repeat:
    """The same rule applied to the period before: who would have been cut then, and who is cut
    again now. A relative ranking cuts the lowest N whatever they did: a unit that improved can be
    cut again because others improved more (the ratchet the committee will ask about)."""

    table: pd.DataFrame  # every unit selected in either period: ean, name, rate_before, rate_now,
    # cut_before, cut_now, selected_before, selected_now

    @property
    def again(self) -> pd.DataFrame:
        return self.table[self.table["selected_before"] & self.table["selected_now"]]

    @property
    def improved_again(self) -> pd.DataFrame:
        """Cut again although their rate went up."""
        again = self.again
        return again[again["rate_now"] > again["rate_before"]]

    @property
    def new(self) -> pd.DataFrame:
        return self.table[~self.table["selected_before"] & self.table["selected_now"]]

    @property
    def left(self) -> pd.DataFrame:
        return self.table[self.table["selected_before"] & ~self.table["selected_now"]]


def repeat_selection(before: pd.DataFrame, now: pd.DataFrame, parameters: PenaltyParameters) -> Repeat:
    """The penalty on the period before (``before``, per-unit figures as ``now``) beside this one."""
    return side_by_side(simulate(before, parameters).table, simulate(now, parameters).table,
                        RATE_COLUMNS[parameters.basis])


def side_by_side(earlier: pd.DataFrame, later: pd.DataFrame, rate: str) -> Repeat:
    """Two allocations' tables (``simulate(...).table``, or two recorded runs') unit by unit: every
    unit selected in either, with its rate, rank and cut in both."""
    columns = ["ean", "name", rate, "rank", "cut", "status"]
    earlier = earlier[columns].rename(
        columns={rate: "rate_before", "rank": "rank_before", "cut": "cut_before", "status": "status_before"})
    later = later[columns].rename(columns={rate: "rate_now", "rank": "rank_now", "cut": "cut_now"})
    table = later.merge(earlier.rename(columns={"name": "name_before"}), on="ean", how="outer")
    table["name"] = table["name"].fillna(table["name_before"]).fillna(table["ean"])
    table["selected_before"] = table["status_before"].eq(STATUS_SELECTED)
    table["selected_now"] = table["status"].eq(STATUS_SELECTED)
    table[["cut_before", "cut_now"]] = table[["cut_before", "cut_now"]].fillna(0).astype(np.int64)
    table = table[table["selected_before"] | table["selected_now"]].drop(columns=["status", "status_before",
                                                                                  "name_before"])
    return Repeat(table.sort_values(["selected_now", "cut_now", "ean"], ascending=[False, False, True])
                  .reset_index(drop=True))


def ratchet_alternatives(repeat: Repeat, before: pd.DataFrame, now: pd.DataFrame, parameters: PenaltyParameters,
                         threshold: float, credit: float = 1.0) -> pd.DataFrame:
    """The ratchet under the proposal's rule and the two rules against it, on the same two periods:
    how many units each cuts now, how many of them the proposal's rule cut the year before
    (``repeat``, from ``repeat_selection`` on the same periods), and how many of those improved.
    The alternatives are the engine's own ``threshold`` and ``credit`` rules with the values given."""
    rate = RATE_COLUMNS[parameters.basis]
    cut_before = set(repeat.table.loc[repeat.table["selected_before"], "ean"])  # ``repeat_selection``'s year before
    now = with_rate_before(now, before, rate)
    rise = (now[rate] - now["rate_before"]).set_axis(now["ean"])

    def row(label: str, rule: PenaltyParameters) -> dict[str, Any]:
        try:
            selected = simulate(now, rule).selected
        except ParameterError:  # no unit below the threshold
            return {"rule": label, "units": 0, "again": 0, "improved_again": 0, "largest_share": np.nan}
        again = selected[selected["ean"].isin(cut_before)]
        return {"rule": label, "units": len(selected), "again": len(again),
                "improved_again": int((again["ean"].map(rise) > 0).sum()),
                "largest_share": selected["cut_share_of_budget"].max()}

    return pd.DataFrame([
        row(f"De {parameters.n} laveste (forslaget)" if parameters.threshold is None and not parameters.credit
            else "Den valgte regel", parameters),
        row(f"Kun enheder under {pct(threshold)}", replace(parameters, threshold=threshold, credit=0.0)),
        row("Fradrag for forbedring", replace(parameters, threshold=None, credit=credit)),
    ])


def with_rate_before(now: pd.DataFrame, before: pd.DataFrame, rate: str = "rate") -> pd.DataFrame:
    """The period's units with each unit's rate in the period before (``rate_before``; none for a
    unit without figures then), as the credit for improvement needs them."""
    return now.assign(rate_before=now["ean"].map(before.set_index("ean")[rate]))


@dataclass(frozen=True)
class Response:
    """How units respond over the budget years: penalised units close a share of their gap to the
    target rate each year; the others drift by a number of percentage points a year."""

    years: tuple[int, ...] = (2026, 2027, 2028, 2029)
    target_rate: float = 0.6
    gap_closure: float = 0.3
    drift: float = 0.01

    def __post_init__(self) -> None:
        if not self.years or list(self.years) != sorted(set(self.years)):
            raise ParameterError(f"years: must be increasing budget years, not {self.years!r}")
        if not 0 <= self.target_rate <= 1:
            raise ParameterError(f"target_rate: must be a share from 0 to 1, not {self.target_rate!r}")
        if not 0 <= self.gap_closure <= 1:
            raise ParameterError(f"gap_closure: must be a share from 0 to 1, not {self.gap_closure!r}")
        if not -1 <= self.drift <= 1:
            raise ParameterError(f"drift: must be a share from -1 to 1, not {self.drift!r}")


def project(units: pd.DataFrame, parameters: PenaltyParameters, response: Response) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-rank and re-cut year by year while units respond.

    Returns (cuts per unit and year in kr., the municipality's rate and the number of units cut per
    year). Eligible spend is held at the measurement period's level; only the e-handled share moves.
    The kroner basis is used (the count basis has no kroner to move).
    """
    current = units.copy()
    cuts, summary = {}, []
    yearly = replace(parameters, basis="amount")
    for year in response.years:
        if yearly.threshold is not None and not rank_units(current, yearly)["rank"].notna().any():
            # every unit has passed the threshold: nobody is cut, and the amount is not found
            cut, cutoff = pd.Series(0, index=current["ean"], dtype=np.int64), np.nan
        else:
            result = simulate(current, yearly)
            cut, cutoff = result.table.set_index("ean")["cut"], result.cutoff_rate
        cuts[year] = cut
        rates = current.set_index("ean")["rate"]
        eligible = current.set_index("ean")["eligible_amount"]
        summary.append({"year": year, "units_cut": int((cut > 0).sum()), "amount": int(cut.sum()),
                        "rate": float((rates * eligible).sum() / eligible[rates.notna()].sum()),
                        "cutoff_rate": cutoff})
        penalised = current["ean"].isin(cut[cut > 0].index)
        current["rate_before"] = current["rate"]  # next year's credit for improvement counts from here
        gap = (response.target_rate - current["rate"]).clip(lower=0)
        current["rate"] = np.where(penalised, current["rate"] + response.gap_closure * gap,
                                   (current["rate"] + response.drift).clip(0, 1))
        current["ehandel_amount"] = current["rate"] * current["eligible_amount"]
        current["missed_amount"] = current["eligible_amount"] - current["ehandel_amount"]
    frame = pd.DataFrame(cuts)
    names = units.set_index("ean")["name"]
    frame.insert(0, "name", names.reindex(frame.index))
    return frame[(frame[list(response.years)] > 0).any(axis=1)], pd.DataFrame(summary)
