"""What more e-handel is worth a year: process savings per invoice and an optional price effect.

Every assumption is a parameter with its source; the sensitivity table shows the answer across
the plausible range rather than one number.

* Process saving per e-handled invoice: 62 kr. (Hjørring Kommune 2020, quoted by SKI).
* Price effect: share of the spend moved into e-handel that is saved by buying at agreement
  prices. No Danish source gives this as a percentage; SKI estimates the compliance effect of
  e-handel at 0.7-3.0 mio. kr. a year for an average municipality (about 217 mio. kr. of goods,
  KL 2024), i.e. 0.3-1.4 % of goods spend. Default 0 (not counted), shown as a sensitivity.
* Moving from the current rate to a target in kroner is assumed to move the share of invoices by
  the same number of percentage points (stated in the output).
"""

from __future__ import annotations

import math

from dataclasses import dataclass

import pandas as pd

from ..errors import ParameterError

SAVING_PER_INVOICE = 62.0  # kr., Hjørring Kommune 2020 via SKI
SAVING_SOURCE = "62 kr. pr. e-handlet faktura (Hjørring Kommune 2020, citeret af SKI)"
PRICE_EFFECT_SOURCE = ("SKI: e-handel sparer en gennemsnitskommune 0,7-3,0 mio. kr. om året via aftaleoverholdelse "
                       "(ca. 0,3-1,4 % af et varekøb på 217 mio. kr., KL 2024)")


@dataclass(frozen=True)
class Position:
    """Where the municipality stands in the measurement period."""

    rate: float  # e-handel share of eligible kroner
    eligible_amount: float  # kr.
    eligible_documents: float  # invoices and card purchases; NaN where invoices cannot be counted
    ehandel_documents: float

    @classmethod
    def of(cls, rates: pd.Series) -> "Position":
        """The position in one row of the rate views (documents are missing for a single-table export
        without invoice numbers: the process saving, counted per invoice, is then unknown)."""
        def count(name: str) -> float:
            value = rates[name]
            return math.nan if value is None or pd.isna(value) else float(value)

        return cls(rate=float(rates["rate"]), eligible_amount=float(rates["eligible_amount"]),
                   eligible_documents=count("eligible_documents"), ehandel_documents=count("ehandel_documents"))


@dataclass(frozen=True)
class Assumptions:
    saving_per_invoice: float = SAVING_PER_INVOICE
    price_effect: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.saving_per_invoice <= 10_000:
            raise ParameterError(f"saving_per_invoice: must be from 0 to 10.000 kr., not {self.saving_per_invoice!r}")
        if not 0 <= self.price_effect <= 0.5:
            raise ParameterError(f"price_effect: must be a share from 0 to 0.5, not {self.price_effect!r}")


def savings(position: Position, target: float, assumptions: Assumptions) -> dict[str, float]:
    """The yearly value of moving from the current rate to ``target`` (nothing if already there)."""
    if not 0 <= target <= 1:
        raise ParameterError(f"target: must be a share from 0 to 1, not {target!r}")
    points = max(0.0, target - position.rate)
    moved_amount = points * position.eligible_amount
    more_invoices = points * position.eligible_documents
    process = more_invoices * assumptions.saving_per_invoice
    price = moved_amount * assumptions.price_effect
    return {
        "target": target,
        "points": points,
        "moved_amount": moved_amount,
        "more_invoices": more_invoices,
        "process_saving": process,
        "price_saving": price,
        "total_saving": process + price,
        "current_process_saving": position.ehandel_documents * assumptions.saving_per_invoice,
    }


def sensitivity(position: Position, targets: dict[str, float], savings_per_invoice: list[float],
                price_effects: list[float]) -> pd.DataFrame:
    """The yearly saving for every combination of target, saving per invoice and price effect."""
    rows = []
    for label, target in targets.items():
        for per_invoice in savings_per_invoice:
            for effect in price_effects:
                result = savings(position, target, Assumptions(per_invoice, effect))
                rows.append({"target_label": label, "saving_per_invoice": per_invoice, "price_effect": effect,
                             **result})
    return pd.DataFrame(rows)
