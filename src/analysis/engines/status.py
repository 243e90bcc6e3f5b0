"""The figures behind the status report (notebook 01): one call gathers them for a year."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from . import rates
from .penalty import lowest_rate_first


@dataclass
class Status:
    """The municipality's e-handel status in a year, with its history and breakdowns."""

    year: int
    rate_column: str  # "rate" (kroner) or "count_rate" (invoices)
    count_rate_note: str | None  # why there is no count-based rate (see rates.count_rate_note), or None
    current: pd.Series  # the municipality in the year
    previous: pd.Series | None  # the year before, when there is data for it
    yearly: pd.DataFrame
    monthly: pd.DataFrame
    units: pd.DataFrame  # per unit in the year, lowest rate first
    orgs: pd.DataFrame  # per organisation at the chosen level
    categories: pd.DataFrame

    @property
    def change(self) -> float | None:
        """Change in the rate from the year before, as a share (0.02 = 2 percentage points)."""
        if self.previous is None:
            return None
        return float(self.current[self.rate_column] - self.previous[self.rate_column])

    def ranked_units(self) -> pd.DataFrame:
        """Units with eligible spend, lowest rate first, in the penalty's order (``penalty.lowest_rate_first``)."""
        return lowest_rate_first(self.units.dropna(subset=[self.rate_column]), self.rate_column)

    def share_of_units_below(self, threshold: float) -> float:
        ranked = self.ranked_units()
        return float((ranked[self.rate_column] < threshold).mean()) if len(ranked) else float("nan")


def load_status(con: duckdb.DuckDBPyConnection, year: int, level: int, basis: str = "amount") -> Status:
    """Everything notebook 01 shows, for ``year`` and organisation ``level``."""
    yearly = rates.municipality_rates(con, "year")
    by_year = yearly.set_index("period")
    previous = by_year.loc[str(year - 1)] if str(year - 1) in by_year.index else None
    return Status(
        year=year,
        rate_column="count_rate" if basis == "count" else "rate",
        count_rate_note=rates.count_rate_note(con),
        current=by_year.loc[str(year)],
        previous=previous,
        yearly=yearly,
        monthly=rates.municipality_rates(con, "month"),
        units=rates.unit_rates(con, year),
        orgs=rates.org_rates(con, year, level),
        categories=rates.category_rates(con, year),
    )
