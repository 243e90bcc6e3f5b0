"""Classification coverage: how much of the spend the eligibility rules classify, by which key, and
whether e-handel purchases are classified more often than the others.

Why it matters: a line no rule classifies counts as not eligible, so it is in neither numerator nor
denominator. When the unclassified lines are mostly the ones bought outside the e-handel system (real
invoices carry UNSPSC codes almost only on catalogue lines), the rate is inflated: the demo
municipality's 30 % becomes 79.5 %. So every report shows the coverage, gives the rate as a range
(unclassified spend counted as eligible or not), warns when coverage differs between e-handel and
other purchases, and units are ranked on a large unclassified share only with a stated reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from ..errors import ParameterError
from ..formats import mio_kr, pct, points
from ..ingest.schema import RULE_KEYS

# The eligibility keys in their order of precedence (UNSPSC, then the rules file's), with the Danish
# label reports use.
RULES = {"unspsc": "UNSPSC", **{key: key.capitalize() for key in RULE_KEYS}}
UNCLASSIFIED = "uklassificeret"
MAX_UNCLASSIFIED = 0.10  # default: above this share of spend unclassified, units are ranked only with a reason
MAX_GAP = 0.10  # coverage of e-handel and of other purchases differing by more: a warning in every report


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else math.nan


@dataclass(frozen=True)
class Coverage:
    """Classification coverage of one period: the coverage table's rows, as the database gives them
    (per unit, key, eligibility and e-handel flag), and the totals every report quotes."""

    period: str
    rows: pd.DataFrame  # ean, rule, eligible, is_ehandel, amount (kr.), lines
    rules: pd.DataFrame | None = None  # rule, value, category, eligible, lines, amount, ehandel_amount

    def rules_in_use(self) -> pd.DataFrame:
        """Each rule that classified spend in the period, largest first, with its key's Danish label and
        its value as the rules file writes it (an art as 2.2)."""
        rules = self.rules if self.rules is not None else pd.DataFrame(
            columns=["rule", "value", "category", "eligible", "lines", "amount", "ehandel_amount"])
        art = rules["rule"] == "art"
        value = rules["value"].astype(str).where(~art, rules["value"].astype(str).map(
            lambda v: v if len(v) < 2 else f"{v[0]}.{v[1:]}"))
        return rules.assign(label=rules["rule"].map(RULES), value=value,
                            eligible_text=rules["eligible"].map({True: "ja", False: "nej"}))

    def _sum(self, mask: pd.Series | None = None) -> float:
        return float(self.rows["amount"][mask].sum()) if mask is not None else float(self.rows["amount"].sum())

    @property
    def spend(self) -> float:
        """All purchases in the period, kr. (credit notes net)."""
        return self._sum()

    @property
    def unclassified(self) -> float:
        return self._sum(self.rows["rule"] == UNCLASSIFIED)

    @property
    def unclassified_share(self) -> float:
        return _share(self.unclassified, self.spend)

    @property
    def ehandel_coverage(self) -> float:
        """Share of the e-handled spend that a rule classifies."""
        ehandel = self.rows["is_ehandel"]
        return 1 - _share(self._sum(ehandel & (self.rows["rule"] == UNCLASSIFIED)), self._sum(ehandel))

    @property
    def other_coverage(self) -> float:
        """Share of the spend outside the e-handel system that a rule classifies."""
        other = ~self.rows["is_ehandel"]
        return 1 - _share(self._sum(other & (self.rows["rule"] == UNCLASSIFIED)), self._sum(other))

    @property
    def gap(self) -> float:
        """E-handel coverage minus other coverage: positive means the rate is likely too high."""
        return self.ehandel_coverage - self.other_coverage

    @property
    def rate(self) -> float:
        """The reported rate: e-handled eligible spend / eligible spend (unclassified counts as not eligible)."""
        eligible = self.rows["eligible"].fillna(False).astype(bool)
        return _share(self._sum(eligible & self.rows["is_ehandel"]), self._sum(eligible))

    @property
    def rate_if_eligible(self) -> float:
        """The rate with the unclassified spend counted as eligible."""
        counted = self.rows["eligible"].fillna(False).astype(bool) | (self.rows["rule"] == UNCLASSIFIED)
        return _share(self._sum(counted & self.rows["is_ehandel"]), self._sum(counted))

    @property
    def rate_range(self) -> tuple[float, float]:
        """The lowest and highest rate the unclassified spend allows."""
        low, high = sorted((self.rate, self.rate_if_eligible))
        return low, high

    def by_rule(self) -> pd.DataFrame:
        """One row per key (in precedence order) and one for the unclassified: kroner, share of the
        spend, share of the e-handled spend, and the eligible kroner it gave."""
        rows = self.rows.assign(ehandel_amount=self.rows["amount"].where(self.rows["is_ehandel"], 0.0),
                                eligible_amount=self.rows["amount"].where(self.rows["eligible"].fillna(False)
                                                                          .astype(bool), 0.0))
        totals = rows.groupby("rule")[["amount", "ehandel_amount", "eligible_amount"]].sum()
        order = [rule for rule in (*RULES, UNCLASSIFIED) if rule in totals.index]
        table = totals.reindex(order).reset_index()
        table["label"] = table["rule"].map({**RULES, UNCLASSIFIED: "Uklassificeret"})
        table["share"] = table["amount"].map(lambda a: _share(a, self.spend))
        ehandel = float(rows["ehandel_amount"].sum())
        table["ehandel_share"] = table["ehandel_amount"].map(lambda a: _share(a, ehandel))
        return table[["rule", "label", "amount", "share", "ehandel_amount", "ehandel_share", "eligible_amount"]]

    def units(self) -> pd.DataFrame:
        """Per unit: spend, unclassified spend, classified share, the share of its spend each key
        classified (``share_unspsc``, ``share_art``, …), the rate and the rate with the unclassified
        spend counted as eligible."""
        rows = self.rows.assign(eligible=self.rows["eligible"].fillna(False).astype(bool),
                                unclassified=self.rows["rule"] == UNCLASSIFIED)
        rows = rows.assign(counted=rows["eligible"] | rows["unclassified"])

        def total(mask: pd.Series) -> pd.Series:
            return rows["amount"].where(mask, 0.0).groupby(rows["ean"]).sum()

        frame = pd.DataFrame({
            "spend": total(pd.Series(True, index=rows.index)), "unclassified_amount": total(rows["unclassified"]),
            "eligible_amount": total(rows["eligible"]), "ehandel_amount": total(rows["eligible"] & rows["is_ehandel"]),
            "counted_amount": total(rows["counted"]), "counted_ehandel": total(rows["counted"] & rows["is_ehandel"]),
        })
        frame["classified_share"] = 1 - (frame["unclassified_amount"] / frame["spend"].where(frame["spend"] > 0))
        for rule in RULES:
            frame[f"share_{rule}"] = total(rows["rule"] == rule) / frame["spend"].where(frame["spend"] > 0)
        frame["rate"] = frame["ehandel_amount"] / frame["eligible_amount"].where(frame["eligible_amount"] > 0)
        frame["rate_if_eligible"] = frame["counted_ehandel"] / frame["counted_amount"].where(frame["counted_amount"] > 0)
        return frame.drop(columns=["counted_amount", "counted_ehandel"]).reset_index()

    # --- what the reports say, in Danish -------------------------------------------------------------

    def summary(self) -> str:
        """How much of the spend the rules classify, by key."""
        parts = ", ".join(f"{row.label.lower() if row.rule != 'unspsc' else row.label} {pct(row.share)}"
                          for row in self.by_rule().itertuples() if row.rule != UNCLASSIFIED and row.amount)
        text = (f"Egnethedsreglerne klassificerer {pct(1 - self.unclassified_share)} af forbruget i {self.period}"
                f" ({mio_kr(self.spend)})" + (f": {parts}." if parts else "."))
        if self.unclassified:
            text += (f" Resten, {pct(self.unclassified_share)} ({mio_kr(self.unclassified)}), dækker ingen regel: det"
                     " tæller som ikke e-handelsegnet.")
        return text

    def range_sentence(self) -> str | None:
        """The rate as a range, when some spend is unclassified."""
        if not self.unclassified or math.isnan(self.rate_if_eligible):
            return None
        low, high = self.rate_range
        return (f"Fordi {pct(self.unclassified_share)} af forbruget er uklassificeret, ligger e-handelsprocenten"
                f" mellem {pct(low)} og {pct(high)}: {pct(self.rate)} med det uklassificerede regnet som ikke"
                f" e-handelsegnet (rapportens tal) og {pct(self.rate_if_eligible)} med det regnet som e-handelsegnet.")

    def bias_warning(self) -> str | None:
        """A warning when the rules classify e-handel and other purchases unequally (by more than MAX_GAP)."""
        gap = self.gap
        if math.isnan(gap) or abs(gap) <= MAX_GAP:
            return None
        direction = ("for høj: køb uden om e-handelssystemet mangler oftere i nævneren" if gap > 0 else
                     "for lav: e-handlede køb mangler oftere i tælleren")
        return (f"Advarsel om skæv klassifikation: reglerne klassificerer {pct(self.ehandel_coverage)} af de"
                f" e-handlede køb, men kun {pct(self.other_coverage)} af de øvrige ({points(gap)}). Derfor er"
                f" e-handelsprocenten sandsynligvis {direction}. Tilføj regler i egnethed.csv (fx art fra konteringen),"
                " så alle køb klassificeres på samme grundlag.")


def coverage_between(con: duckdb.DuckDBPyConnection, first: date, last: date, period: str) -> Coverage:
    """The classification coverage of the purchases between ``first`` and ``last`` (both included)."""
    rows = con.execute("SELECT * FROM coverage_between(?, ?)", [first, last]).df()
    rows["amount"] = rows["amount"].astype(float)
    rows["is_ehandel"] = rows["is_ehandel"].fillna(False).astype(bool)
    rules = con.execute("SELECT * FROM rules_between(?, ?)", [first, last]).df()
    for column in ("amount", "ehandel_amount"):
        rules[column] = rules[column].astype(float)
    return Coverage(period, rows, rules)


def check_ranking(coverage: Coverage, max_unclassified: float, reason: str) -> str | None:
    """Refuse to rank units when more than ``max_unclassified`` of the spend is unclassified, unless a
    reason is given; returns the Danish sentence every report then prints (None below the limit)."""
    share = coverage.unclassified_share
    if math.isnan(share) or share <= max_unclassified:
        return None
    if not reason.strip():
        raise ParameterError(
            f"unclassified_reason: {share * 100:.1f} % of the spend in {coverage.period}"
            f" ({coverage.unclassified:,.0f} kr.) is classified by no eligibility rule, more than max_unclassified"
            f" ({max_unclassified * 100:g} %), so units are not ranked on these figures (the rate may be far off:"
            f" {coverage.rate_range[0] * 100:.1f}-{coverage.rate_range[1] * 100:.1f} %). Add rules to egnethed.csv"
            " (art, leverandør, varetype, tekst), or give unclassified_reason: a reason shown in every report")
    return (f"{pct(share)} af forbruget er uklassificeret, mere end grænsen på {pct(max_unclassified, 0)}; enhederne"
            f" er alligevel rangeret med denne begrundelse: »{reason.strip()}«.")
