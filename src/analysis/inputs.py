"""What a notebook works from once its parameters are checked: one typed object per notebook.

``params`` resolves a notebook's parameters (text from a command line, a year that may be None,
comma-separated lists) into these objects; a notebook then reads ``p.year``, ``p.parameters``,
``p.units``, never a parameter's raw text. Each object carries the notebook's one connection to
its database (``Database``), which the checks opened and the notebook goes on reading through, so
a report is computed from one open file, read once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pandas as pd

from . import db
from .engines.business_case import BusinessCase, DigitalPost
from .engines.coverage import Coverage
from .errors import ParameterError
from .paths import DEFAULT_DATABASE
from .engines.penalty import PenaltyParameters, PenaltyResult, Response
from .engines.savings import Assumptions


class Database:
    """A notebook's database, opened read-only on first use and shared by the parameters' checks
    and the notebook (``with p.db as con: ...`` closes it when the notebook has read what it needs).

    ``''`` means the default database. A missing file is a parameter error naming ``db_path``, raised
    when the database is first needed: the e-Boks business case needs none.
    """

    def __init__(self, db_path: str | Path) -> None:
        self.given = db_path
        self._con: duckdb.DuckDBPyConnection | None = None
        self._meta: dict[str, str] | None = None

    @property
    def path(self) -> Path:
        path = Path(self.given) if str(self.given) else DEFAULT_DATABASE
        if not path.exists():
            raise ParameterError(f"db_path: {path} does not exist; build it with 'make data' or 'analysis ingest'")
        return path.resolve()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = db.connect(self.path)
        return self._con

    @property
    def meta(self) -> dict[str, str]:
        """The ingest's metadata (municipality, fingerprint of the raw files, …), kept after closing."""
        if self._meta is None:
            self._meta = db.meta(self.con)
        return self._meta

    @property
    def opened(self) -> bool:
        """Whether anything was read (a report that read no database has no data fingerprint)."""
        return self._con is not None or self._meta is not None

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self.con

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def database(db_path: str | Path | Database) -> Database:
    """The database a validator reads: the one a caller already opened, or a new one for a path."""
    return db_path if isinstance(db_path, Database) else Database(db_path)


# eq=False: the objects hold data frames, which do not compare to a single truth value.
@dataclass(frozen=True, kw_only=True, eq=False)
class Inputs:
    """What every report's title block needs, and the scenario id (set once the inputs are known)."""

    db: Database
    report_date: date
    case_number: str = ""
    scenario_id: str = ""


@dataclass(frozen=True, kw_only=True, eq=False)
class StatusInputs(Inputs):
    """01_ehandel_status."""

    year: int
    level: int
    top_n: int
    basis: str
    coverage: Coverage
    ranking_note: str | None


@dataclass(frozen=True, kw_only=True, eq=False)
class BenchmarkInputs(Inputs):
    """02_benchmark: the year, the benchmark rows and the savings case's assumptions."""

    year: int
    first_day: date
    last_day: date
    coverage: Coverage
    benchmarks: pd.DataFrame
    comparators: pd.DataFrame
    target_rate: float
    target_label: str
    assumptions: Assumptions
    amount: int


@dataclass(frozen=True, kw_only=True, eq=False)
class PenaltyInputs(Inputs):
    """03_penalty: the measurement period, the engine's parameters, the period's units and the
    proposal's result (the check ranked them, so the notebook does not again)."""

    year: int
    first_day: date
    last_day: date
    period: str
    months: int
    follow_up: tuple[date, str] | None
    coverage: Coverage
    ranking_note: str | None
    parameters: PenaltyParameters
    response: Response
    replicates: int
    seed: int
    output_dir: Path | None
    budget_label: str
    budget_note: str | None
    before_label: str  # the period before, as 03 and 04 compare with it
    before_units: pd.DataFrame | None  # its units, None when the data do not cover all of it
    units: pd.DataFrame  # with rate_before where the period before is covered
    result: PenaltyResult


@dataclass(frozen=True, kw_only=True, eq=False)
class BriefingInputs(PenaltyInputs):
    """04_briefing: the penalty's inputs, the benchmark's, and the budget table's."""

    benchmarks: pd.DataFrame
    comparators: pd.DataFrame
    target_rate: float
    target_label: str
    assumptions: Assumptions
    budget_years: tuple[int, ...]
    price_year: int
    proposal: str
    committee: str


@dataclass(frozen=True, kw_only=True, eq=False)
class ProposalInputs(PenaltyInputs):
    """06_proposal_form: the penalty's inputs (with equal shares), the form's header fields and
    budget lines, the benchmark the status compares with, and the template."""

    budget_years: tuple[int, ...]
    price_year: int
    amount_price_year: int  # the price level the amount was decided in
    form_amount: int  # the amount in the table's prices (the same when no conversion): kroner
    proposal: str
    proposal_title: str
    committee: str
    proposer: str
    expense_type: str
    current_budget: dict[int, Decimal] | None  # kroner per budget year
    fte_change: float | None
    target_rate: float
    target_label: str
    template: Path


@dataclass(frozen=True, kw_only=True, eq=False)
class BusinessCaseInputs(Inputs):
    """05_business_case: the case, and for the e-handel case the savings it takes from the data."""

    case: str
    title: str
    municipality: str
    discount_rate: float
    digital_post: DigitalPost
    business_case: BusinessCase
    budget_note: str | None = None
    savings: dict[str, Any] | None = field(default=None)
    target_label: str | None = None
    year: int | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class EvaluationInputs(Inputs):
    """07_evaluation: the year after the penalty, the rule that selected the units on the year
    before (the selection year), and both years' units (``before_units`` None when the data do not
    cover all of the selection year: nothing can then be evaluated)."""

    year: int
    selection_label: str
    before_units: pd.DataFrame | None
    after_units: pd.DataFrame
    parameters: PenaltyParameters
    replicates: int
    seed: int
