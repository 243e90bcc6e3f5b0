"""Did the penalty work? The change in the cut units' rates against units that were not cut.

The penalty for a budget year is decided on the rates of the year before (the selection year).
Each unit ranked then is an observation: its rate in the selection year, whether the rule cut it,
and how its rate changed to the year after (the outcome). Two estimates of the effect on the rate:

* **Regression discontinuity**: units just below the cut-off were cut, units just above were not,
  and otherwise they are alike. A straight line of the change against the distance to the cut-off
  on each side, within a bandwidth; the effect is the jump at the cut-off. It is the estimate to
  trust, but it rests on the few units near the cut-off, so its interval is wide; it is shown for
  several bandwidths.
* **Difference in differences**: the cut units' mean change minus the others'. It uses every unit,
  but the cut units are the lowest, and the lowest rise most even without a penalty (a low year is
  often followed by a better one: regression to the mean), so it overstates the effect.

Both with 95 % intervals from a bootstrap over units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .penalty import RATE_COLUMNS, STATUS_SELECTED, PenaltyParameters, simulate

MIN_SIDE = 3  # units on each side of the cut-off a line needs, with one to spare


@dataclass(frozen=True)
class Estimate:
    """An estimated effect on the rate (a share: 0.05 is 5 percentage points) with its interval."""

    method: str  # "rd" or "did"
    effect: float
    low: float
    high: float
    treated: int  # cut units the estimate uses
    control: int  # units not cut that it uses
    bandwidth: float | None = None  # rd: the largest distance to the cut-off used, as a share

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def outcomes(selection_year: pd.DataFrame, after: pd.DataFrame, parameters: PenaltyParameters) -> pd.DataFrame:
    """Every unit the rule ranked in the selection year (``rates.unit_rates_between`` figures),
    with ``treated`` (cut), ``distance`` (its rate minus the cut-off rate: at most 0 for the cut
    units) and ``change`` (its rate the year after minus its rate then); units without a rate the
    year after are left out."""
    result = simulate(selection_year, parameters)
    rate = RATE_COLUMNS[parameters.basis]
    table = result.table[result.table["rank"].notna()]
    frame = pd.DataFrame({
        "ean": table["ean"], "name": table["name"], "rank": table["rank"].astype(int), "rate_before": table[rate],
        "treated": table["status"].eq(STATUS_SELECTED), "distance": table[rate] - result.cutoff_rate,
    })
    frame["rate_after"] = frame["ean"].map(after.set_index("ean")[rate])
    frame["change"] = frame["rate_after"] - frame["rate_before"]
    return frame[frame["change"].notna()].reset_index(drop=True)


def _bootstrap(groups: list[np.ndarray], statistic, replicates: int, seed: int) -> tuple[float, float]:
    """A 95 % percentile interval of ``statistic`` over ``groups`` (each resampled on its own)."""
    rng = np.random.default_rng(seed)
    draws = np.array([statistic(*[group[rng.integers(0, len(group), len(group))] for group in groups])
                      for _ in range(replicates)])
    draws = draws[np.isfinite(draws)]
    return float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975))


def difference_in_differences(frame: pd.DataFrame, replicates: int = 1000, seed: int = 2026) -> Estimate:
    """The cut units' mean change minus the mean change of the units not cut."""
    treated, control = frame.loc[frame["treated"], "change"].to_numpy(), frame.loc[~frame["treated"], "change"].to_numpy()
    if len(treated) < MIN_SIDE or len(control) < MIN_SIDE:
        raise ParameterError(f"difference in differences: {len(treated)} cut and {len(control)} other units with"
                             f" figures in both years; at least {MIN_SIDE} of each are needed")

    def statistic(t: np.ndarray, c: np.ndarray) -> float:
        return float(t.mean() - c.mean())

    low, high = _bootstrap([treated, control], statistic, replicates, seed)
    return Estimate("did", statistic(treated, control), low, high, len(treated), len(control))


def _jump(treated: np.ndarray, control: np.ndarray) -> float:
    """The two lines' values at the cut-off (distance 0): cut side minus the other. Rows are
    (distance, change)."""
    if len(np.unique(treated[:, 0])) < 2 or len(np.unique(control[:, 0])) < 2:
        return np.nan
    left = np.polyfit(treated[:, 0], treated[:, 1], 1)
    right = np.polyfit(control[:, 0], control[:, 1], 1)
    return float(np.polyval(left, 0.0) - np.polyval(right, 0.0))


def regression_discontinuity(frame: pd.DataFrame, bandwidth: float, replicates: int = 1000,
                             seed: int = 2026) -> Estimate:
    """The jump in the change at the cut-off, from a line on each side through the units within
    ``bandwidth`` (a share: 0.05 is 5 percentage points) of the cut-off rate."""
    near = frame[frame["distance"].abs() <= bandwidth]
    treated = near.loc[near["treated"], ["distance", "change"]].to_numpy(dtype=float)
    control = near.loc[~near["treated"], ["distance", "change"]].to_numpy(dtype=float)
    if len(treated) < MIN_SIDE or len(control) < MIN_SIDE:
        raise ParameterError(f"regression discontinuity: {len(treated)} cut and {len(control)} other units within"
                             f" {bandwidth:.3f} of the cut-off; at least {MIN_SIDE} on each side are needed")
    low, high = _bootstrap([treated, control], _jump, replicates, seed)
    return Estimate("rd", _jump(treated, control), low, high, len(treated), len(control), bandwidth)


def bandwidths(frame: pd.DataFrame, candidates: tuple[float, ...] = (0.02, 0.03, 0.05, 0.08, 0.12)) -> list[float]:
    """The bandwidths with enough units on each side for a line, narrowest first."""
    usable = []
    for bandwidth in candidates:
        near = frame[frame["distance"].abs() <= bandwidth]
        if min(int(near["treated"].sum()), int((~near["treated"]).sum())) >= MIN_SIDE:
            usable.append(bandwidth)
    return usable


def evaluate(frame: pd.DataFrame, replicates: int = 1000, seed: int = 2026) -> tuple[pd.DataFrame, Estimate, Estimate]:
    """The regression discontinuity at every usable bandwidth (a table), the one at the middle
    bandwidth (the headline: neither the fewest units nor the widest reach), and the difference in
    differences."""
    usable = bandwidths(frame)
    if not usable:
        raise ParameterError(f"regression discontinuity: fewer than {MIN_SIDE} units on a side of the cut-off within"
                             " 12 percentage points")
    estimates = [regression_discontinuity(frame, bandwidth, replicates, seed) for bandwidth in usable]
    table = pd.DataFrame([{"bandwidth": e.bandwidth, "effect": e.effect, "low": e.low, "high": e.high,
                           "treated": e.treated, "control": e.control} for e in estimates])
    return table, estimates[len(estimates) // 2], difference_in_differences(frame, replicates, seed)
