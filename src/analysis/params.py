"""Validation of notebook parameters, shared by the report build and the notebooks themselves.

The build validates every notebook's parameters before any notebook runs; each notebook calls
the same function in its first cell, so a plain ``papermill -p`` run is checked the same way.
A validator turns the parameters' values into the notebook's typed inputs (``analysis.inputs``),
reading the database through the one connection the notebook then goes on using.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import hashlib
import inspect
import json
import math
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from .engines import benchmark as bench
from .engines import coverage, rates
from .engines.business_case import CASES, DigitalPost, eboks_case, ehandel_case
from .errors import ParameterError
from .ingest import budget_file as budget_lines, provenance
from .inputs import (BenchmarkInputs, BriefingInputs, BusinessCaseInputs, Database, EvaluationInputs, Inputs,
                     PenaltyInputs, ProposalInputs, StatusInputs, database)
from .engines.penalty import RATE_COLUMNS, PenaltyParameters, Response, simulate, with_rate_before
from .report.proposal import TEMPLATE
from .engines.savings import Assumptions, Position, savings
from .spec import check, defaults_from_spec

BASIS_LABELS = {"amount": "kroner", "count": "antal fakturaer"}  # what a rate counts, in the briefings' words


def parse_date(text: str) -> date:
    """'' means today; otherwise yyyy-mm-dd or dd-mm-yyyy (fixing it makes a rebuild identical)."""
    return parse_day("report_date", text) if text else date.today()


def parse_day(name: str, text: str) -> date:
    """A date parameter that must be given (yyyy-mm-dd or dd-mm-yyyy)."""
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(str(text), pattern).date()
        except ValueError:
            continue
    raise ParameterError(f"{name}: {text!r} is not a date (use yyyy-mm-dd)")


def whole_number(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ParameterError(f"{name}: must be a whole number from {low} to {high}, not {value!r}")
    return value


def classification(con, first: date, last: date, period: str, max_unclassified: float,
                   unclassified_reason: str) -> dict[str, Any]:
    """The period's classification coverage, and the sentence every report prints when units are
    ranked although more than ``max_unclassified`` of the spend is unclassified (refused without a
    reason: see coverage.check_ranking)."""
    found = coverage.coverage_between(con, first, last, period)
    limit = check("max_unclassified", max_unclassified)
    return {"coverage": found, "ranking_note": coverage.check_ranking(found, limit, str(unclassified_reason))}


def fields(inputs: Inputs) -> dict[str, Any]:
    """An inputs object's fields by name, to build a notebook's inputs on another's."""
    return {f.name: getattr(inputs, f.name) for f in dataclasses.fields(inputs)}


@defaults_from_spec
def ehandel_status(*, db_path: str | Database, year: int | None, level: int, top_n: int, basis: str,
                   max_unclassified: float, unclassified_reason: str, report_date: str,
                   case_number: str) -> StatusInputs:
    """Parameters of 01_ehandel_status, resolved: the year (default: latest complete year),
    organisation level, how many lowest/highest units to list, the basis, and the classification
    coverage (units are listed lowest first only when it is good enough, or a reason is given)."""
    source = database(db_path)
    check("year", year)
    resolved_year = rates.check_year(source.con, year)
    basis = rates.check_basis(source.con, check("basis", basis))
    return StatusInputs(
        **classification(source.con, *rates.measurement_period(resolved_year), str(resolved_year), max_unclassified,
                         unclassified_reason),
        db=source, year=resolved_year, level=check("level", level), top_n=check("top_n", top_n), basis=basis,
        report_date=parse_date(report_date), case_number=str(case_number))


def text_list(text: str) -> tuple[str, ...]:
    """'a, b,c' → ('a', 'b', 'c'); parameters given on a command line are text."""
    return tuple(part.strip() for part in str(text).split(",") if part.strip())


def year_range(text: str) -> tuple[int, ...]:
    """'2026-2029' → (2026, 2027, 2028, 2029); '2026,2028' → (2026, 2028)."""
    try:
        if "-" in str(text):
            first, last = (int(part) for part in str(text).split("-", 1))
            years = tuple(range(first, last + 1))
        else:
            years = tuple(int(part) for part in text_list(text))
    except ValueError:
        raise ParameterError(f"budget_years: {text!r} is not a range of years like 2026-2029") from None
    if not years:
        raise ParameterError(f"budget_years: {text!r} has no years")
    if not all(2000 <= year <= 2100 for year in years):
        raise ParameterError(f"budget_years: {text!r} are not years (write four digits, e.g. 2026-2029)")
    if list(years) != sorted(set(years)) or len(years) > 10:
        raise ParameterError(f"budget_years: {text!r} must be at most ten increasing years, e.g. 2026-2029")
    return years


BUDGET_PERIOD_YEARS = 4  # a Danish municipal budget: the budget year and three overslagsår


def resolve_budget_years(text: str, measured: int) -> tuple[int, ...]:
    """The budget years given (``'2027-2030'``), or, for ``''``, the four years after the year the
    measurement period ends in: next year's budget from this year's data, as in the annual cycle."""
    if not str(text).strip():
        return tuple(range(measured + 1, measured + 1 + BUDGET_PERIOD_YEARS))
    return year_range(text)


def years_label(years: tuple[int, ...]) -> str:
    """(2026, 2027, 2028, 2029) → '2026-2029'."""
    return f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])


def budget_years_note(years: tuple[int, ...], measured: int) -> str | None:
    """Budget years must come after the measurement period (refused otherwise); when they begin
    more than a year after it, the Danish note every report with a budget table prints."""
    label = years_label(years)
    if years[0] <= measured:
        raise ParameterError(f"budget_years: {label} must come after the measurement period, which ends in {measured}")
    if years[0] == measured + 1:
        return None
    return (f"Budgetårene {label} begynder {years[0] - measured} år efter måleperioden ({measured}): enhederne "
            "udvælges efter e-handel, der ligger længere tilbage end ved en almindelig budgetlægning. "
            "Kør beregningen igen, når data for det seneste år er indlæst.")


def price_level(price_year: int, years: tuple[int, ...], name: str = "price_year") -> int:
    """A price year: the one given, or (0) the first of ``years`` (for the budget table: the first budget year)."""
    return whole_number(name, check(name, price_year), 1990, 2100) if price_year else years[0]


@defaults_from_spec
def penalty(*, db_path: str | Database, year: int | None, period_start: str, period_end: str, follow_up_date: str,
            follow_up_window: str, n: int, amount: int, key: str, basis: str, min_spend: float,
            exempt_eans: str, exempt_types: str, cap: float, threshold: float, credit: float, budget_basis: str,
            replicates: int, seed: int, budget_years: str, target_rate: float, gap_closure: float, drift: float,
            max_unclassified: float, unclassified_reason: str, output_dir: str, report_date: str,
            case_number: str) -> PenaltyInputs:
    """Parameters of 03_penalty, resolved into the engine's objects and a measurement period (a
    year, given days, or a budget follow-up's twelve months or year to date); the ranking is
    refused when too much of the period's spend is unclassified and no reason is given, and when
    the data cover only part of the period's months."""
    source = database(db_path)
    con = source.con
    follow_up = (parse_day("follow_up_date", follow_up_date), follow_up_window) if follow_up_date else None
    if follow_up:
        if period_start or period_end or year is not None:
            raise ParameterError("follow_up_date: give a follow-up date or a year or period, not both")
        first, last = rates.follow_up_period(*follow_up)
    elif period_start or period_end:
        first, last = rates.measurement_period(start=period_start or None, end=period_end or None)
    else:
        first, last = rates.measurement_period(rates.check_year(con, year))
    label = rates.period_label(first, last)
    covered, months = rates.months_with_data(con, first, last), rates.months_between(first, last)
    if not covered:
        raise ParameterError(f"period {label}: no eligible purchases in the database")
    if covered < months:
        raise ParameterError(
            f"period {label}: the data hold purchases in {covered} of its {months} months, so units would be"
            " ranked on part of a period as if it were whole; give period_start and period_end for twelve months"
            " the data cover (an export from July to June, say), or for a budget follow-up an earlier"
            " follow_up_date or follow_up_window ytd")
    rates.check_basis(con, basis)
    parameters = PenaltyParameters(
        n=check("n", n), amount=check("amount", amount), key=key, basis=basis, min_spend=check("min_spend", min_spend),
        exempt_eans=text_list(exempt_eans), exempt_types=text_list(exempt_types), cap=check("cap", cap) or None,
        threshold=check("threshold", threshold) or None, credit=check("credit", credit), budget_basis=budget_basis)
    # The year before: 03 and 04 put the rule's result on it beside this one, and credit for
    # improvement ranks on the rise since then.
    before_label, before_units = rates.unit_rates_before(con, first, last)
    units = rates.unit_rates_between(con, first, last)
    if before_units is not None:
        units = with_rate_before(units, before_units, RATE_COLUMNS[basis])
        # The rule on the year before, with credit, counts the rise from the year before that.
        _, earlier = rates.unit_rates_before(con, *rates.year_before(first, last))
        if earlier is not None:
            before_units = with_rate_before(before_units, earlier, RATE_COLUMNS[basis])
    response = Response(years=resolve_budget_years(budget_years, last.year),
                        target_rate=check("target_rate", target_rate), gap_closure=check("gap_closure", gap_closure),
                        drift=check("drift", drift))
    return PenaltyInputs(
        **classification(con, first, last, label, max_unclassified, unclassified_reason),
        db=source, first_day=first, last_day=last, period=label, months=months, follow_up=follow_up, year=last.year,
        parameters=parameters, response=response, replicates=check("replicates", replicates),
        seed=check("seed", seed), output_dir=Path(output_dir) if output_dir else None,
        report_date=parse_date(report_date), case_number=str(case_number), budget_label=years_label(response.years),
        budget_note=budget_years_note(response.years, last.year), before_label=before_label,
        before_units=before_units,
        # N larger than the ranked units, a cap too small, …: refused now. The period's units and the
        # proposal's result are handed on, so that the notebook neither reads nor simulates them again.
        units=units, result=simulate(units, parameters))


@defaults_from_spec
def benchmark(*, db_path: str | Database, year: int | None, comparators: str, target: str,
              saving_per_invoice: float, price_effect: float, benchmark_file: str, amount: int, report_date: str,
              case_number: str) -> BenchmarkInputs:
    """Parameters of 02_benchmark: the year, the benchmark rows and comparators, the target rate
    (a number or a benchmark's name), the savings assumptions and the proposal's amount (shown
    beside the savings)."""
    # No units are ranked here, so no limit on the unclassified share; the coverage is still shown.
    status = ehandel_status(db_path=db_path, year=year, max_unclassified=1.0, report_date=report_date,
                            case_number=case_number)
    table = bench.load_benchmarks(benchmark_file or None)
    rate, label = bench.target_rate(table, target)
    first, last = rates.measurement_period(status.year)
    return BenchmarkInputs(
        db=status.db, year=status.year, report_date=status.report_date, case_number=status.case_number,
        coverage=status.coverage, first_day=first, last_day=last, benchmarks=table,
        comparators=bench.comparators(table, text_list(comparators)), target_rate=rate, target_label=label,
        assumptions=Assumptions(check("saving_per_invoice", saving_per_invoice), check("price_effect", price_effect)),
        amount=check("amount", amount))


@defaults_from_spec
def briefing(*, db_path: str | Database, year: int | None, follow_up_date: str, follow_up_window: str, n: int,
             amount: int, key: str, basis: str, min_spend: float, exempt_eans: str, exempt_types: str,
             cap: float, threshold: float, credit: float, budget_basis: str, replicates: int, seed: int,
             budget_years: str, price_year: int,
             target: str, comparators: str, saving_per_invoice: float, price_effect: float, proposal: str,
             committee: str, max_unclassified: float, unclassified_reason: str, output_dir: str,
             report_date: str, case_number: str) -> BriefingInputs:
    """Parameters of 04_briefing: the penalty's and the benchmark's, plus the budget table's price
    year (0: the first budget year), the proposal number and the committee."""
    resolved = penalty(db_path=db_path, year=year, follow_up_date=follow_up_date, follow_up_window=follow_up_window,
                       n=n, amount=amount, key=key, basis=basis, min_spend=min_spend, exempt_eans=exempt_eans,
                       exempt_types=exempt_types, cap=cap, threshold=threshold, credit=credit, budget_basis=budget_basis,
                       replicates=replicates, seed=seed, budget_years=budget_years, max_unclassified=max_unclassified,
                       unclassified_reason=unclassified_reason, output_dir=output_dir, report_date=report_date,
                       case_number=case_number)
    compared = benchmark(db_path=resolved.db, year=resolved.year, comparators=comparators, target=target,
                         saving_per_invoice=saving_per_invoice, price_effect=price_effect, amount=amount,
                         report_date=report_date, case_number=case_number)
    years = resolved.response.years
    return BriefingInputs(
        **fields(resolved), benchmarks=compared.benchmarks, comparators=compared.comparators,
        target_rate=compared.target_rate, target_label=compared.target_label, assumptions=compared.assumptions,
        budget_years=years, price_year=price_level(price_year, years), proposal=str(proposal),
        committee=str(committee))


@defaults_from_spec
def proposal_form(*, db_path: str | Database, year: int | None, n: int, amount: int, budget_years: str,
                  price_year: int, amount_price_year: int, price_index_file: str, proposal: str, proposal_title: str,
                  committee: str, proposer: str, expense_type: str, current_budget: float, budget_file: str,
                  fte_change: float, target: str,
                  template_file: str,
                  max_unclassified: float, unclassified_reason: str, output_dir: str,
                  report_date: str) -> ProposalInputs:
    """Parameters of 06_proposal_form: the penalty's N, amount, year and budget years (checked as
    03 checks them), the form's header fields, the budget table's current budget and staff change,
    the benchmark the status compares with, and the template with the sections' fixed wording.
    The current budget is one figure for every year, or per year from the finance team's budget file."""
    # The form names N and the amount, not the key: checked with equal shares, so that a municipality
    # without goods budgets can still put the proposal forward.
    resolved = penalty(db_path=db_path, year=year, n=n, amount=amount, key="equal", budget_years=budget_years,
                       max_unclassified=max_unclassified, unclassified_reason=unclassified_reason,
                       output_dir=output_dir, report_date=report_date)
    fields_given = {"proposal": proposal, "proposal_title": proposal_title, "committee": committee,
                    "proposer": proposer, "expense_type": expense_type}
    for name, value in fields_given.items():
        if not isinstance(value, str) or not value.strip():
            raise ParameterError(f"{name}: the form's field must be a text, not {value!r}")
    template = Path(template_file) if template_file else TEMPLATE
    if not template.is_file():
        raise ParameterError(f"template_file: {template} does not exist")
    years = resolved.response.years
    target_rate, target_label = bench.target_rate(bench.load_benchmarks(), target)
    table_year = price_level(price_year, years)
    amount_year = price_level(amount_price_year, (table_year,), "amount_price_year")
    index_file = Path(price_index_file) if price_index_file else None
    index = budget_lines.price_index(index_file) if index_file else None
    if amount_year != table_year and index is None:
        raise ParameterError(f"amount_price_year: the amount is in {amount_year}-priser and the table in"
                             f" {table_year}-priser; give price_index_file (KL's pris- og lønskøn) to convert it")
    factor = budget_lines.price_factor(index, amount_year, table_year, index_file) if index is not None else Decimal(1)
    form_amount = int((resolved.parameters.amount * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    current = check("current_budget", current_budget)
    if budget_file and current:
        raise ParameterError("current_budget and budget_file: give the current budget one way, not both")
    budget = (budget_lines.current_budget(Path(budget_file), years) if budget_file
              else {year: Decimal(str(current)) for year in years} if current else None)
    return ProposalInputs(
        **fields(resolved), **{name: value.strip() for name, value in fields_given.items()},
        budget_years=years, price_year=table_year, amount_price_year=amount_year, form_amount=form_amount,
        current_budget=budget,
        fte_change=check("fte_change", fte_change) or None, target_rate=target_rate, target_label=target_label,
        template=template)


@defaults_from_spec
def business_case(*, db_path: str | Database, case: str, department_share: float, discount_rate: float,
                  print_and_envelope: float, minutes_saved: float, hourly_cost: float, year: int | None,
                  amount: int, budget_years: str, target: str, saving_per_invoice: float, price_effect: float,
                  report_date: str, case_number: str) -> BusinessCaseInputs:
    """Parameters of 05_business_case. The e-Boks case needs no database; the e-handel case takes
    its gain from the savings case of the municipality's data (as 02_benchmark computes it)."""
    check("case", case)
    common = {
        "db": database(db_path),
        "case": case,
        "title": CASES[case],
        "discount_rate": check("discount_rate", discount_rate),
        "report_date": parse_date(report_date),
        "case_number": str(case_number),
        "digital_post": DigitalPost(print_and_envelope=check("print_and_envelope", print_and_envelope),
                                    minutes_saved=check("minutes_saved", minutes_saved),
                                    hourly_cost=check("hourly_cost", hourly_cost)),
    }
    department_share = check("department_share", department_share)
    if case == "eboks":
        return BusinessCaseInputs(**common, municipality="Københavns Kommune",
                                  business_case=dataclasses.replace(eboks_case(), department_share=department_share))
    compared = benchmark(db_path=common["db"], year=year, target=target, saving_per_invoice=saving_per_invoice,
                         price_effect=price_effect, report_date=report_date, case_number=case_number)
    current = rates.municipality_rates(compared.db.con).set_index("period").loc[str(compared.year)]
    gain = savings(Position.of(current), compared.target_rate, compared.assumptions)
    if math.isnan(gain["total_saving"]):
        raise ParameterError("case ehandel: the saving is counted per e-handled invoice, and this database has no"
                             " invoice counts (a single-table export without invoice numbers)")
    years = resolve_budget_years(budget_years, compared.year)
    case_object = ehandel_case(check("amount", amount), years, gain["total_saving"])
    return BusinessCaseInputs(
        **common, municipality=compared.db.meta["municipality"], budget_note=budget_years_note(years, compared.year),
        business_case=dataclasses.replace(case_object, department_share=department_share), savings=gain,
        target_label=compared.target_label, year=compared.year)


@defaults_from_spec
def evaluation(*, db_path: str | Database, year: int | None, n: int, basis: str, min_spend: float, exempt_eans: str,
               exempt_types: str, replicates: int, seed: int, report_date: str, case_number: str) -> EvaluationInputs:
    """Parameters of 07_evaluation: the year after the penalty (default: the latest complete year)
    and the rule that selected the units on the year before it (N, the basis, the exemptions; the
    key and the amount do not change who is cut)."""
    source = database(db_path)
    check("year", year)
    con = source.con
    resolved_year = rates.check_year(con, year)
    basis = rates.check_basis(con, check("basis", basis))
    first, last = rates.measurement_period(resolved_year)
    label, before = rates.unit_rates_before(con, first, last)
    parameters = PenaltyParameters(n=check("n", n), key="equal", basis=basis, min_spend=check("min_spend", min_spend),
                                   exempt_eans=text_list(exempt_eans), exempt_types=text_list(exempt_types))
    if before is not None:
        simulate(before, parameters)  # N above the units ranked then, an exemption that matches nothing: refused now
    return EvaluationInputs(
        db=source, year=resolved_year, selection_label=label, before_units=before,
        after_units=rates.unit_rates_between(con, first, last), parameters=parameters,
        replicates=check("replicates", replicates), seed=check("seed", seed), report_date=parse_date(report_date),
        case_number=str(case_number))


# Notebook name (file name without the number) -> its validator; keyword names match the
# notebook's parameters cell.
VALIDATORS: dict[str, Callable[..., Inputs]] = {
    "ehandel_status": ehandel_status,
    "benchmark": benchmark,
    "penalty": penalty,
    "briefing": briefing,
    "business_case": business_case,
    "proposal_form": proposal_form,
    "evaluation": evaluation,
}


def validate(notebook: str, parameters: dict[str, Any], keep_open: bool = False) -> Inputs:
    """Run the notebook's validator on its parameters (as the parameters cell names them): the
    notebook's inputs, with their scenario id. The database is closed again unless ``keep_open``
    (a notebook goes on reading through the connection its checks opened)."""
    source = database(parameters["db_path"])
    try:
        resolved = VALIDATORS[notebook](**{**parameters, "db_path": source})
        fingerprint = source.meta.get("fingerprint", "") if source.opened else ""  # the e-Boks case reads none
    except BaseException:
        source.close()
        raise
    if not keep_open:
        source.close()
    return dataclasses.replace(resolved, scenario_id=scenario_id(notebook, parameters, fingerprint))


def names(notebook: str) -> list[str]:
    """The notebook's parameter names, as its validator (and so its parameters cell) has them."""
    return list(inspect.signature(VALIDATORS[notebook]).parameters)


INJECTED_HEADER = "# Parameters\n"  # papermill's first line of the cell it injects with -p values


def injected(history: list[str]) -> set[str]:
    """The names papermill's injected cell assigns: the last cell run that begins with its header
    (IPython's input history ``In``); none in a notebook run by hand."""
    for source in reversed(history):
        if source.startswith(INJECTED_HEADER):
            return {target.id for statement in ast.parse(source).body if isinstance(statement, ast.Assign)
                    for target in statement.targets if isinstance(target, ast.Name)}
    return set()


# Parameters that change how a report looks or where it writes, not its figures: left out of the
# scenario id, and free to differ between the reports of one run folder.
PRESENTATION_PARAMETERS = frozenset({"output_dir", "report_date", "case_number"})


def scenario_id(notebook: str, values: dict[str, Any], data_fingerprint: str) -> str:
    """The id printed on a report's title block: 12 hex digits of a SHA-256 over the report's name,
    its parameters (but the presentation ones, and the database's path: the data enter by the
    fingerprint of the raw files they were ingested from) and the package's code. Same id, same
    figures; the build records it for each report of a run."""
    figures = {key: value for key, value in values.items() if key not in PRESENTATION_PARAMETERS | {"db_path"}}
    text = json.dumps({"report": notebook, "parameters": figures, "data": data_fingerprint,
                       "code": provenance.code_fingerprint()}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def from_notebook(notebook: str, namespace: dict[str, Any]) -> Inputs:
    """The notebook's inputs, from its namespace after the parameters cell, with the database open
    for the notebook to go on reading (``with p.db as con:`` closes it).

    A name papermill injected that the notebook does not declare (``-p yaer 2024``) is refused
    with the closest known name: papermill itself only logs a warning and runs with the default,
    so a typo would give a report for another year than the one asked for.
    """
    known = names(notebook)
    refuse_unknown(injected(namespace.get("In", [])), known, notebook)
    return validate(notebook, {name: namespace[name] for name in known}, keep_open=True)


def refuse_unknown(given: Iterable[str], known: Iterable[str], what: str) -> None:
    """Refuse parameter names that ``what`` does not take, each with the closest known name."""
    known = sorted(known)
    unknown = sorted(set(given) - set(known))
    if unknown:
        hints = [f"{name} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(name, known, n=1))
                 else name for name in unknown]
        raise ParameterError(f"unknown parameter(s) {', '.join(hints)}; {what} takes: {', '.join(known)}")
