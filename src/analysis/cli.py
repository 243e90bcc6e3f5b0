"""The ``analysis`` command: demo-data → ingest → rates → build.

Each subcommand is a thin shell around a tested function; errors the user can fix (bad input,
bad parameters) print one clear message and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from .engines import coverage, rates
from . import db, params, spec
from .report import labels
from .report.labels import LABELS
from .formats import kr, pct
from .ingest import ORDER_MATCHES, IngestReport, ingest
from .ingest.load import municipality_name
from .ingest.provenance import fingerprint, recorded, up_to_date
from .params import text_list, year_range
from .paths import DEFAULT_DATABASE, SYNTHETIC_RAW_DIR
from .errors import AnalysisError


def cmd_demo_data(args: argparse.Namespace) -> None:
    from .synthetic.municipality import generate

    summary = generate(args.out, seed=args.seed, years=args.years, scale=args.scale,
                       municipalities=args.municipalities, file_format=args.format, real_like=args.real_like)
    print(f"Wrote a synthetic municipality to {args.out}: {summary.units} units, "
          f"{summary.invoice_lines:,} invoice lines, {summary.orders:,} e-handel orders, "
          f"{summary.card_transactions:,} card transactions; goods budget {kr(summary.goods_spend_per_year)} a year")


def print_ingest_report(report: IngestReport) -> None:
    """The reconciliation table, the first problems and the warnings, as the analyst sees them."""
    print(f"Ingested into {report.database}")
    header = f"{'file':<28} {'kind':<18} {'read':>9} {'loaded':>9} {'quarant.':>9} {'kr. read':>17} {'kr. quarant.':>14}"
    print(header)
    print("-" * len(header))
    for f in report.files:
        print(f"{f.file:<28} {f.kind:<18} {f.rows_read:>9,} {f.rows_loaded:>9,} {f.rows_quarantined:>9,} "
              f"{f.amount_read:>17,.2f} {f.amount_quarantined:>14,.2f}" + (f"  ({f.note})" if f.note else ""))
    print("Every row read is either loaded or quarantined (rows and kroner reconcile per file).")
    if report.steps:
        longest = sorted(report.steps, key=lambda item: -item[1])[:3]
        print(f"Took {sum(seconds for _, seconds in report.steps):.1f} s; longest steps: "
              + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in longest))
    if report.problems:
        print(f"\n{report.rows_quarantined:,} row(s) quarantined (table 'quarantine'); the first:")
        for problem in report.problems:
            print(f"  {problem}")
    for warning in report.warnings:
        print(f"Warning: {warning}")
    if report.ignored_files:
        print("Skipped (not read):")
        for line in report.ignored_files:
            print(f"  {line}")


def cmd_ingest(args: argparse.Namespace) -> None:
    current = None
    if args.if_changed and args.raw_dir.is_dir():
        name = args.municipality or municipality_name(args.raw_dir)
        current = fingerprint(args.raw_dir)  # once: the ingest records the same one
        if up_to_date(args.raw_dir, args.db, name, args.order_match, current):
            meta = recorded(args.db) or {}
            print(f"{args.db} is up to date: built {meta.get('ingested_at', '?')} from {meta.get('raw_dir', '?')},"
                  " whose files have not changed since")
            return
    report = ingest(args.raw_dir, args.db, municipality=args.municipality, memory_limit=args.memory_limit,
                    order_match=args.order_match, progress=lambda message: print(message, file=sys.stderr),
                    raw_fingerprint=current)
    print_ingest_report(report)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (a unit named ``=cmd|…``) prefixed with
    an apostrophe, as OWASP advises for CSV exports; numbers are left as they are."""
    def safe(value: object) -> object:
        return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value

    return frame.apply(lambda column: column if pd.api.types.is_numeric_dtype(column) else column.map(safe))


MONEY_COLUMNS = tuple(name for name, label in LABELS.items() if label.format == "kr")
SHARE_COLUMNS = tuple(name for name, label in LABELS.items() if label.format == "pct")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def write_csv(frame: pd.DataFrame, style: str, money: tuple[str, ...] = ()) -> None:
    """A table to stdout as UTF-8 CSV: ``csv`` for programs (``,`` and a decimal point, code
    names), ``excel`` for Danish Excel (``;``, decimal comma, Danish headers, a byte order mark
    so Excel reads it as UTF-8). Kroner to the øre and shares to six decimals, never a float's
    17 digits; text that a spreadsheet would run as a formula is defused."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_integer_dtype(out[column]):
            continue  # whole kroner (the cuts), ranks
        if column in MONEY_COLUMNS or column in money:
            out[column] = out[column].astype(float).round(2)
        elif column in SHARE_COLUMNS:
            out[column] = out[column].astype(float).round(6)
    out = csv_safe(out)
    if style == "excel":
        for column in out.columns[out.dtypes == bool]:
            out[column] = out[column].map({True: "ja", False: "nej"})
        text = "\ufeff" + out.rename(columns=labels.headers()).to_csv(index=False, sep=";", decimal=",")
    else:
        text = out.to_csv(index=False)
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def cmd_rates(args: argparse.Namespace) -> None:
    con = db.connect(args.db)
    try:
        year = rates.check_year(con, args.year)
        found = coverage.coverage_between(con, *rates.measurement_period(year), str(year))
        if args.level:
            frame = rates.org_rates(con, year, args.level)
            columns = ["org_name", "units", "eligible_amount", "ehandel_amount", "rate", "count_rate"]
        else:
            frame = rates.unit_rates(con, year).merge(
                found.units()[["ean", "classified_share", "rate_if_eligible"]], on="ean", how="left")
            columns = ["ean", "name", "unit_type", "eligible_amount", "ehandel_amount", "rate", "count_rate",
                       "classified_share", "rate_if_eligible"]
        count_note = rates.count_rate_note(con)
    finally:
        con.close()
    frame = frame[columns]
    if args.format != "table":
        write_csv(frame, args.format)
        return
    shown = frame.copy()
    for column in ("eligible_amount", "ehandel_amount"):
        shown[column] = shown[column].map(kr)
    for column in ("rate", "count_rate", "classified_share", "rate_if_eligible"):
        if column in shown:
            shown[column] = shown[column].map(pct)
    print(f"E-handel rates {year}" + (f", level {args.level}" if args.level else ", per unit"))
    print(shown.to_string(index=False))
    if count_note:
        print(f"count_rate: not available: {count_note}")
    print_coverage(found)


def print_coverage(found: coverage.Coverage) -> None:
    """The classification coverage under the rates: by key, the rate's range, and the warnings."""
    parts = ", ".join(f"{row.rule} {pct(row.share)}" for row in found.by_rule().itertuples())
    print(f"classification coverage {found.period}: {pct(1 - found.unclassified_share)} of {kr(found.spend)} ({parts})")
    if found.unclassified:
        low, high = found.rate_range
        print(f"rate range: {pct(low)} to {pct(high)} (unclassified spend counted as eligible or not;"
              " rate_if_eligible per unit)")
    if warning := found.bias_warning():
        print(f"warning: {warning}")
    if found.unclassified_share > coverage.MAX_UNCLASSIFIED:
        print(f"warning: more than {pct(coverage.MAX_UNCLASSIFIED, 0)} of the spend is unclassified: reports rank"
              " units only with unclassified_reason")


def cmd_penalty(args: argparse.Namespace) -> None:
    from .report import excel
    from .engines import penalty

    parameters = penalty.PenaltyParameters(
        n=args.n, amount=args.amount, key=args.key, basis=args.basis, min_spend=args.min_spend,
        exempt_eans=text_list(args.exempt or ""), exempt_types=text_list(args.exempt_type or ""),
        cap=args.cap or None, threshold=args.threshold or None, credit=args.credit,
        budget_basis=args.budget_basis)
    con = db.connect(args.db)
    try:
        year = rates.check_year(con, args.year)
        first, last = rates.measurement_period(year)
        if (covered := rates.months_with_data(con, first, last)) < rates.months_between(first, last):
            print(f"warning: {year} holds purchases in {covered} of its 12 months: units are ranked on part of a"
                  " year (the reports refuse it; use a follow-up period there)", file=sys.stderr)
        units = rates.unit_rates_between(con, first, last)
        if parameters.credit:  # credit for improvement ranks on the rise since the year before
            _, before = rates.unit_rates_before(con, first, last)
            if before is not None:
                units = penalty.with_rate_before(units, before, penalty.RATE_COLUMNS[parameters.basis])
        documents = rates.unit_documents_between(con, first, last) if args.xlsx else None
        meta = db.meta(con)
        found = coverage.coverage_between(con, first, last, str(year))
    finally:
        con.close()
    ranking_note = coverage.check_ranking(found, args.max_unclassified, args.unclassified_reason)
    result = penalty.simulate(units, parameters)
    if args.xlsx:
        probability = penalty.selection_probability(documents, units, parameters, replicates=args.replicates)
        header = excel.SheetHeader.from_meta(meta, str(year), params.parse_date(args.report_date), args.case_number)
        excel.write_workbook(args.xlsx, result, header, probability)
    # With credit for improvement units are ranked on the rate plus the credit: that column is shown too.
    rate_columns = [penalty.RATE_COLUMNS[args.basis], *(["ranking_rate"] if parameters.credit else [])]
    selected = result.selected[["rank", "ean", "name", *rate_columns, "key_value", "cut", "cut_share_of_budget"]]
    key_in_kroner = penalty.KEYS[parameters.key][0] is not None  # every key but equal is an amount
    if args.format != "table":  # the selected units and any unit tied with them at the cut-off
        listed = result.table[(result.table["status"] == penalty.STATUS_SELECTED)
                              | result.table["ean"].isin(result.tied_at_cutoff)]
        listed = listed[["rank", "ean", "name", "status", *rate_columns, "key_value", "cut",
                         "cut_share_of_budget"]].assign(tied_at_cutoff=listed["ean"].isin(result.tied_at_cutoff))
        write_csv(listed, args.format, money=("key_value",) if key_in_kroner else ())
    else:
        shown = selected.assign(**{column: selected[column].map(pct) for column in rate_columns},
                                key_value=selected["key_value"].map(kr if key_in_kroner else "{:.0f}".format),
                                cut=selected["cut"].map(kr),
                                cut_share_of_budget=selected["cut_share_of_budget"].map(pct))
        print(f"Penalty {year}: {kr(parameters.amount)} from the {parameters.n} lowest units, key {parameters.key}")
        print(shown.to_string(index=False))
        credited = " (the rate plus the credit for improvement)" if parameters.credit else ""
        print(f"Cut-off rate {pct(result.cutoff_rate)}{credited}; total {kr(int(result.table['cut'].sum()))}")
        if result.tied_at_cutoff:
            print(f"Units tied at the cut-off (ordered by missed spend, then EAN): {', '.join(result.tied_at_cutoff)}")
        if len(result.not_ranked):
            reasons = result.not_ranked.groupby("status").size()
            print(f"Not ranked: {plural(len(result.not_ranked), 'unit')} ("
                  + "; ".join(f"{count}: {reason}" for reason, count in reasons.items()) + ")")
        if len(result.large_cuts):
            largest, count = result.large_cuts.iloc[0], len(result.large_cuts)
            print(f"warning: {plural(count, 'unit')} lose{'s' if count == 1 else ''} more than {pct(penalty.LARGE_CUT, 0)}"
                  f" of their goods budget (largest: {largest['name']}, {pct(largest['cut_share_of_budget'])});"
                  " consider --cap")
        if ranking_note:
            print(f"Ranked although {pct(found.unclassified_share)} of the spend is unclassified, because:"
                  f" {args.unclassified_reason.strip()}")
    if args.xlsx:
        print(f"Wrote {args.xlsx}", file=sys.stderr)


def cmd_explore(args: argparse.Namespace) -> None:
    import os
    import subprocess

    from .inputs import Database
    from .report.serving import voila_command, voila_environment

    if not args.idle_minutes > 0:
        raise AnalysisError(f"--idle-minutes: must be above 0, not {args.idle_minutes}")
    if not args.max_kernels >= 2:
        raise AnalysisError(f"--max-kernels: must be at least 2 (one is kept preheated), not {args.max_kernels}")
    env = voila_environment(Database(args.db).path)
    print(f"Scenario explorer on http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    if args.host not in LOOPBACK:
        print(f"warning: the explorer has no login: anyone who can reach http://{args.host}:{args.port}/ sees every"
              " unit's figures. Serve it only on a network where that is allowed.", file=sys.stderr, flush=True)
    command = voila_command(args.host, args.port, args.idle_minutes, args.max_kernels, open_browser=args.browser)
    if os.name == "posix":  # become Voilà, so a stop signal reaches it (and its kernels) directly
        os.execve(sys.executable, command, env)
    try:
        subprocess.run(command, env=env, check=False)
    except KeyboardInterrupt:
        pass


def cmd_build(args: argparse.Namespace) -> None:
    from .report.build import build_reports, load_parameter_file  # heavy (papermill, nbconvert): only when building

    scenario = load_parameter_file(args.params) if args.params else {}
    timeout = {"cell_timeout": args.cell_timeout} if args.cell_timeout is not None else {}
    outputs = build_reports(db_path=args.db, only=args.only, run=args.run, parameters=dict(args.parameter or []),
                            scenario=scenario, **timeout)
    for path in outputs:
        print(path)


def cmd_compare(args: argparse.Namespace) -> None:
    """Two runs of the register side by side, in Danish; without runs, the register's list."""
    from . import runs
    from .report import excel, tables, text

    if not args.runs:
        found = runs.entries(args.db)
        print(f"Kørsler i {runs.register_dir(args.db)}:" if found else
              f"Ingen kørsler i {runs.register_dir(args.db)} endnu: en build med 03_penalty eller 04_briefing gemmer en.")
        for entry in found:
            print(f"  {entry['run']}: måleperiode {entry['period']}, beregnings-id {entry['scenario_id']},"
                  f" gemt {entry['recorded']}")
        return
    if len(args.runs) != 2:
        raise AnalysisError(f"compare: give two runs (the earlier first), not {len(args.runs)}")
    comparison = runs.compare(runs.load(args.db, args.runs[0]), runs.load(args.db, args.runs[1]))
    print(text.run_comparison(comparison) + "\n")
    shown = labels.columns(*comparison.table.columns.drop("ean"))
    frame = pd.DataFrame({header: comparison.table[column].map(tables.FORMATS[style])
                          for column, (header, style) in shown.items()})
    print(frame.to_string(index=False))
    if args.xlsx:
        header = excel.SheetHeader(comparison.after.entry.get("municipality", ""),
                                   f"{comparison.before.entry['period']} og {comparison.after.entry['period']}",
                                   params.parse_date(args.report_date),
                                   source=f"kørslerne {comparison.before.name} og {comparison.after.name}")
        excel.write_comparison(args.xlsx, comparison.table,
                               f"Sanktion for lav e-handel: {comparison.before.name} og {comparison.after.name}", header)
        print(f"Wrote {args.xlsx}", file=sys.stderr)


LOOPBACK = ("127.0.0.1", "localhost", "::1")

FORMAT_HELP = ("table: for reading (Danish amounts); csv: for programs (',' and '.'); excel: CSV for Danish Excel"
               " (';', decimal comma, Danish headers, UTF-8 with BOM), e.g. > enheder.csv")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(formatter_class=_Help, name="demo-data", help="write a synthetic municipality's raw exports")
    demo.add_argument("--out", type=Path, default=SYNTHETIC_RAW_DIR)
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--years", type=year_range, default=(2023, 2024, 2025), help="e.g. 2023-2025 or 2023,2025")
    demo.add_argument("--scale", type=float, default=1.0, help="multiplies units, spend and lines (100 ≈ 36m lines)")
    demo.add_argument("--municipalities", type=int, default=1, help="several municipalities (98 = national)")
    demo.add_argument("--format", choices=("csv", "parquet"), default="csv",
                      help="Danish CSV, or Parquet partitioned by municipality and year")
    demo.add_argument("--real-like", action="store_true",
                      help="as real exports: UNSPSC on catalogue lines only, postings (art) on all lines")
    demo.set_defaults(func=cmd_demo_data)

    ing = sub.add_parser(formatter_class=_Help, name="ingest", help="validate raw exports and build the DuckDB database")
    ing.add_argument("raw_dir", type=Path)
    ing.add_argument("--db", type=Path, default=DEFAULT_DATABASE, help="the DuckDB database")
    ing.add_argument("--municipality", help="name shown in reports (default: kommune.txt in RAW_DIR)")
    ing.add_argument("--memory-limit", help="cap DuckDB's memory, e.g. 3GB (it spills to disk beyond)")
    ing.add_argument("--order-match", choices=tuple(ORDER_MATCHES), default="both",
                     help="what must agree between an invoice and the order it quotes besides the order number"
                          " (default: both buyer EAN and supplier CVR)")
    ing.add_argument("--if-changed", action="store_true",
                     help="ingest only when the database was not built from RAW_DIR as its files are now (the"
                          " files' content, the reference files, the ingest's code and these options are compared)")
    ing.set_defaults(func=cmd_ingest)

    rat = sub.add_parser(formatter_class=_Help, name="rates", help="print e-handel rates per unit or organisation level")
    rat.add_argument("--db", type=Path, default=DEFAULT_DATABASE, help="the DuckDB database")
    rat.add_argument("--year", type=int, help="default: the latest complete year")
    rat.add_argument("--level", type=int, choices=(1, 2, 3, 4), help="organisation level instead of units")
    rat.add_argument("--format", choices=("table", "csv", "excel"), default="table", help=FORMAT_HELP)
    rat.set_defaults(func=cmd_rates)

    pen = sub.add_parser(formatter_class=_Help, name="penalty", help="simulate the ØU08 cut: who loses how much")
    pen.add_argument("--db", type=Path, default=DEFAULT_DATABASE, help="the DuckDB database")
    # The options that are notebook parameters too take their default and help from the one spec.
    option = spec.SPECS
    pen.add_argument("--year", type=int, help=option["year"].help)
    pen.add_argument("--n", type=int, default=option["n"].default, help=option["n"].help)
    pen.add_argument("--amount", type=int, default=option["amount"].default, help=option["amount"].help)
    pen.add_argument("--key", default=option["key"].default, help=option["key"].help)
    pen.add_argument("--basis", default=option["basis"].default, choices=option["basis"].choices,
                     help=option["basis"].help)
    pen.add_argument("--min-spend", type=float, default=option["min_spend"].default, help=option["min_spend"].help)
    pen.add_argument("--exempt", default=option["exempt_eans"].default, help=option["exempt_eans"].help)
    pen.add_argument("--exempt-type", default=option["exempt_types"].default, help=option["exempt_types"].help)
    pen.add_argument("--cap", type=float, default=option["cap"].default, help=option["cap"].help)
    pen.add_argument("--threshold", type=float, default=option["threshold"].default, help=option["threshold"].help)
    pen.add_argument("--credit", type=float, default=option["credit"].default, help=option["credit"].help)
    pen.add_argument("--max-unclassified", type=float, default=option["max_unclassified"].default,
                     help=option["max_unclassified"].help)
    pen.add_argument("--unclassified-reason", default=option["unclassified_reason"].default,
                     help=option["unclassified_reason"].help)
    pen.add_argument("--budget-basis", choices=option["budget_basis"].choices, default=option["budget_basis"].default,
                     help=option["budget_basis"].help)
    pen.add_argument("--format", choices=("table", "csv", "excel"), default="table", help=FORMAT_HELP)
    pen.add_argument("--xlsx", type=Path, help="also write the Excel workbook (with selection probabilities)")
    pen.add_argument("--replicates", type=int, default=option["replicates"].default, help=option["replicates"].help)
    pen.add_argument("--case-number", default=option["case_number"].default, help=option["case_number"].help)
    pen.add_argument("--report-date", default=option["report_date"].default, help=option["report_date"].help)
    pen.set_defaults(func=cmd_penalty)

    exp = sub.add_parser(formatter_class=_Help, name="explore", help="start the scenario explorer (Voilà)")
    exp.add_argument("--db", type=Path, default=DEFAULT_DATABASE, help="the DuckDB database")
    exp.add_argument("--host", default="127.0.0.1",
                     help="address to listen on: 0.0.0.0 lets colleagues open it (it has no login)")
    exp.add_argument("--port", type=int, default=8866)
    exp.add_argument("--idle-minutes", type=float, default=10.0,
                     help="stop a page's kernel after this many minutes without use")
    exp.add_argument("--max-kernels", type=int, default=8,
                     help="most kernels (pages, each ~300 MB) at once; the one unused the longest makes way")
    exp.add_argument("--browser", action="store_true", help="also open a web browser")
    exp.set_defaults(func=cmd_explore)

    cmp = sub.add_parser(formatter_class=_Help, name="compare",
                         help="put two recorded runs side by side: who is cut again, new, gone; rates and cuts")
    cmp.add_argument("runs", nargs="*", metavar="RUN", help="two runs, the earlier first (none: list the runs)")
    cmp.add_argument("--db", type=Path, default=DEFAULT_DATABASE, help="the database whose folder holds the register")
    cmp.add_argument("--xlsx", type=Path, help="also write the comparison as an Excel workbook")
    cmp.add_argument("--report-date", default="", help="date on the workbook (yyyy-mm-dd), empty for today")
    cmp.set_defaults(func=cmd_compare)

    bld = sub.add_parser(formatter_class=_BuildHelp, name="build", help="run the notebooks and render HTML and PDF reports",
                         add_help=False)
    bld.add_argument("-h", "--help", action=_NotebooksHelp, help="show this help, with every notebook's parameters")
    bld.add_argument("--db", type=Path, default=DEFAULT_DATABASE, help="the DuckDB database")
    bld.add_argument("--only", action="append", help="notebook name (e.g. ehandel_status); repeatable")
    bld.add_argument("--run", help="report folder name under reports/ (default: the report year)")
    bld.add_argument("--params", type=Path, help="YAML file of parameters (a named scenario); -p overrides it")
    bld.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                     help="notebook parameter, as with papermill -p")
    bld.add_argument("--cell-timeout", type=int, metavar="SECONDS",
                     help="stop the build if a notebook cell runs longer (default 1800)")
    bld.set_defaults(func=cmd_build)
    return parser


class _Help(argparse.HelpFormatter):
    """Every option's default in --help, unless its text already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.option_strings and "default" not in text and action.default not in (None, False, argparse.SUPPRESS):
            text += f" (default: {action.default})"
        return text


class _BuildHelp(_Help, argparse.RawDescriptionHelpFormatter):
    """As _Help, keeping the notebooks' parameter list (the epilog) in its lines."""


class _NotebooksHelp(argparse.Action):
    """``build --help``: the options, then each notebook's parameters, read from the notebooks only
    when asked (papermill's import is slow)."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from .report.build import parameters_help

        parser.epilog = parameters_help()
        parser.print_help()
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        args.func(args)
    except AnalysisError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the output piped into `head`, which has read enough: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit would fail again
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
