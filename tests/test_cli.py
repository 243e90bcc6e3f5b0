"""The command line: output an analyst reads, and errors as one message with exit status 2."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from helpers import minimal_raw

from analysis.cli import main


def test_ingest_prints_reconciliation_and_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", "5798009811578", "16356706", "A", "44121701", "x", "1.000,00", "EH-1", ""],
        ["F2", 1, "99-01-2025", "5798009811578", "16356706", "A", "44121701", "x", "250,00", "N/A", ""]])
    assert main(["ingest", str(raw), "--db", str(tmp_path / "e.duckdb")]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "checking and loading invoice_lines ..." in captured.err.splitlines()
    assert "fakturalinjer.csv            invoice_lines              2         1         1" in out
    assert re.search(r"^Took \d+\.\d s; longest steps: [a-z_ ]+ \d+\.\d s, ", out, re.MULTILINE)
    assert "fakturalinjer.csv line 3, column 'Fakturadato' '99-01-2025': is not a valid date" in out


def test_rates_table_and_csv(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rates", "--db", str(small_db), "--level", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("E-handel rates 2025, level 1") and "Børn og Unge" in out and "\u00a0%" in out
    assert "classification coverage 2025: 100,0\u00a0% of" in out and "rate range" not in out
    assert main(["rates", "--db", str(small_db), "--year", "2024", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "ean,name,unit_type,eligible_amount,ehandel_amount,rate,count_rate,classified_share,rate_if_eligible"


def test_errors_are_one_line_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rates", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'none.duckdb'}: database not found")
    assert main(["ingest", str(tmp_path / "nowhere")]) == 2
    assert "raw data folder not found" in capsys.readouterr().err


def test_demo_data_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-data", "--out", str(tmp_path), "--years", "2025", "--scale", "0.05", "--seed", "1"]) == 0
    assert "Wrote a synthetic municipality" in capsys.readouterr().out
    assert (tmp_path / "fakturalinjer_2025.csv").exists() and (tmp_path / "SYNTETISK.txt").exists()


@pytest.mark.slow
def test_penalty_table_csv_and_workbook(small_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["penalty", "--db", str(small_db), "--n", "5", "--key", "missed", "--format", "csv",
                 "--xlsx", str(tmp_path / "s.xlsx"), "--replicates", "100"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["rank", "ean", "name", "status", "rate", "key_value", "cut", "cut_share_of_budget",
                             "tied_at_cutoff"]
    assert len(rows) == 5 and sum(int(row["cut"]) for row in rows) == 1_500_000
    assert (tmp_path / "s.xlsx").exists()
    assert main(["penalty", "--db", str(small_db), "--n", "5", "--xlsx", str(tmp_path / "t.xlsx"), "--replicates", "100",
                 "--case-number", "26-777", "--report-date", "2026-11-23"]) == 0
    import openpyxl

    top = [row[0] for row in openpyxl.load_workbook(tmp_path / "t.xlsx")["Fordeling"].iter_rows(max_row=6, values_only=True)]
    assert "Sagsnr.: 26-777" in top and "Dato: 23. november 2026" in top
    capsys.readouterr()
    assert main(["penalty", "--db", str(small_db), "--n", "3", "--exempt-type", "skole"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Penalty 2025: 1.500.000\u00a0kr. from the 3 lowest units, key budget")
    assert "Cut-off rate" in out and "ranking_rate" not in out
    # Under credit for improvement the rate the ranking used is shown beside the plain rate.
    assert main(["penalty", "--db", str(small_db), "--n", "3", "--credit", "1", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0])[4:6] == ["rate", "ranking_rate"]
    assert [int(row["rank"]) for row in rows] == [1, 2, 3]
    assert any(row["ranking_rate"] != row["rate"] for row in rows)  # the credit moved someone
    ranking = [float(row["ranking_rate"]) for row in rows]
    assert ranking == sorted(ranking)  # ranked on it, lowest first
    assert main(["penalty", "--db", str(small_db), "--n", "3", "--credit", "1"]) == 0
    assert "ranking_rate" in capsys.readouterr().out


def test_penalty_refuses_impossible_parameters(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["penalty", "--db", str(small_db), "--amount", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: amount: must be a whole number of kroner from 1")
    assert main(["penalty", "--db", str(small_db), "--amount", "99999999999999999999"]) == 2  # gave negative cuts
    assert "from 1 to 1,000,000,000,000" in capsys.readouterr().err
    assert main(["penalty", "--db", str(small_db), "--key", "kvadratmeter"]) == 2
    assert "key: must be one of budget, eligible, missed, equal" in capsys.readouterr().err


def test_a_cap_of_zero_means_no_cap_as_in_the_notebooks(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["penalty", "--db", str(small_db), "--n", "5", "--cap", "0"]) == 0  # was refused
    with_zero = capsys.readouterr().out
    assert main(["penalty", "--db", str(small_db), "--n", "5"]) == 0
    assert with_zero == capsys.readouterr().out


def test_rates_say_why_there_is_no_count_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_real_exports import KMD_ROWS, write_kmd_zip

    raw = tmp_path / "raw"
    raw.mkdir()
    write_kmd_zip(raw / "e-handelstabel.zip", KMD_ROWS)
    assert main(["ingest", str(raw), "--db", str(tmp_path / "e.duckdb")]) == 0
    capsys.readouterr()
    assert main(["rates", "--db", str(tmp_path / "e.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "count_rate: not available: 7 fakturalinje(r) har intet fakturanummer" in out
    assert "30,0\u00a0%" in out


@pytest.mark.slow
def test_penalty_refuses_to_rank_on_mostly_unclassified_spend_unless_given_a_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers import CVR, EANS

    raw = minimal_raw(tmp_path / "raw", lines=[
        ["F1", 1, "10-01-2025", EANS[0], CVR, "Kontor A/S", "44121701", "Kuglepenne", "1.000,00", "EH-1", ""],
        ["F2", 1, "15-01-2025", EANS[0], CVR, "Kontor A/S", "", "Blæk", "3.000,00", "N/A", ""],
        ["F3", 1, "15-01-2025", EANS[1], CVR, "Kontor A/S", "44121701", "Blæk", "500,00", "N/A", ""]])
    db = tmp_path / "e.duckdb"
    assert main(["ingest", str(raw), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["penalty", "--db", str(db), "--n", "1"]) == 2
    assert "unclassified_reason: 66.7 % of the spend in 2025" in capsys.readouterr().err
    assert main(["penalty", "--db", str(db), "--n", "1", "--unclassified-reason", "Afprøvning"]) == 0
    assert "Ranked although 66,7\u00a0% of the spend is unclassified, because: Afprøvning" in capsys.readouterr().out


def test_csv_output_cannot_carry_a_spreadsheet_formula() -> None:
    import pandas as pd

    from analysis.cli import csv_safe

    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "+1", "-x", "@SUM(A1)", "Skolen"], "rate": [0.1, -0.2, 0, 1, 0.5]})
    assert csv_safe(frame)["name"].tolist() == ["'=cmd|' /C calc'!A0", "'+1", "'-x", "'@SUM(A1)", "Skolen"]
    assert csv_safe(frame)["rate"].tolist() == [0.1, -0.2, 0, 1, 0.5]


@pytest.mark.slow
def test_output_piped_into_head_ends_quietly_and_help_shows_defaults(small_db: Path) -> None:
    """`analysis rates | head` printed a BrokenPipeError traceback; --help left out most defaults."""
    import subprocess
    import sys

    analysis = [sys.executable, "-m", "analysis.cli"]
    reader_gone = subprocess.Popen([*analysis, "rates", "--db", str(small_db), "--format", "csv"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reader_gone.stdout.close()  # as `head` does once it has its lines
    errors = reader_gone.stderr.read()
    assert reader_gone.wait() == 0 and "Traceback" not in errors and "BrokenPipe" not in errors, errors
    shown = subprocess.run([*analysis, "ingest", "--help"], capture_output=True, text=True, check=True).stdout
    assert "the DuckDB database (default:" in " ".join(shown.split())


@pytest.mark.slow
def test_build_help_lists_every_notebook_with_its_parameters_defaults_and_meaning() -> None:
    import subprocess
    import sys

    from analysis.report.build import discover_notebooks

    shown = subprocess.run([sys.executable, "-m", "analysis.cli", "build", "--help"], capture_output=True, text=True,
                           check=True).stdout
    for name, path in discover_notebooks().items():
        assert f"  {name} ({path.name})" in shown
    assert "    n = 30  number of units with the lowest rate that are cut" in shown
    assert "    basis = \"amount\"  rate in kroner (amount) or in number of invoices (count)" in shown


def test_csv_for_programs_and_for_danish_excel(small_db: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """`--format csv` wrote 17-digit floats with ',' and '.', which Danish Excel opens wrongly."""
    import re

    assert main(["rates", "--db", str(small_db), "--format", "csv"]) == 0
    program = capsysbinary.readouterr().out.decode("utf-8")
    assert not re.search(r"\d\.\d{7,}", program), "no float noise"
    rows = list(csv.DictReader(io.StringIO(program)))
    assert main(["rates", "--db", str(small_db), "--format", "excel"]) == 0
    raw = capsysbinary.readouterr().out
    assert raw.startswith("\ufeff".encode("utf-8"))
    excel_rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert list(excel_rows[0])[:4] == ["EAN-nummer", "Enhed", "Enhedstype", "E-handelsegnet forbrug"]
    assert len(excel_rows) == len(rows)
    for plain, danish in zip(rows, excel_rows):
        assert danish["EAN-nummer"] == plain["ean"] and danish["Enhed"] == plain["name"]
        assert danish["E-handelsegnet forbrug"].replace(",", ".") == plain["eligible_amount"]
        assert "." not in danish["E-handelsprocent"]
    assert main(["penalty", "--db", str(small_db), "--n", "4", "--format", "excel"]) == 0
    cuts = list(csv.DictReader(io.StringIO(capsysbinary.readouterr().out.decode("utf-8-sig")), delimiter=";"))
    assert sum(int(row["Reduktion"]) for row in cuts) == 1_500_000


def tie_and_credit_note_db(tmp_path: Path) -> Path:
    """Four units: A and B at 0 % (B misses more), C at 50 %, and D whose e-handel credit note
    exceeds its e-handel invoices (-25 %: ranked, it would be cut first on an export quirk)."""
    from helpers import CVR, EANS, unit_row

    line = ["Kontor A/S", "44121701", "Kuglepenne"]
    raw = minimal_raw(tmp_path / "raw", units=[unit_row(EANS[i], f"Skole {c}", 100_000) for i, c in enumerate("ABCD")],
                      orders=[["EH-1", "02-01-2025", EANS[2], CVR, "1.000,00"],
                              ["EH-2", "02-01-2025", EANS[3], CVR, "1.000,00"]],
                      lines=[["F1", 1, "10-01-2025", EANS[0], CVR, *line, "1.000,00", "N/A", ""],
                             ["F2", 1, "10-01-2025", EANS[1], CVR, *line, "2.000,00", "N/A", ""],
                             ["F3", 1, "10-01-2025", EANS[2], CVR, *line, "1.000,00", "EH-1", ""],
                             ["F4", 1, "10-01-2025", EANS[2], CVR, *line, "1.000,00", "N/A", ""],
                             ["F5", 1, "10-01-2025", EANS[3], CVR, *line, "1.000,00", "EH-2", ""],
                             ["K6", 1, "11-01-2025", EANS[3], CVR, *line, "-2.000,00", "EH-2", ""],
                             ["F7", 1, "12-01-2025", EANS[3], CVR, *line, "5.000,00", "N/A", ""]])
    db = tmp_path / "tie.duckdb"
    assert main(["ingest", str(raw), "--db", str(db)]) == 0
    return db


@pytest.mark.slow
def test_every_penalty_output_lists_tied_units_units_not_ranked_and_large_cuts(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    from helpers import EANS

    from analysis.engines import penalty

    db = tie_and_credit_note_db(tmp_path)
    capsysbinary.readouterr()
    assert main(["penalty", "--db", str(db), "--n", "1", "--amount", "20000"]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert f"Units tied at the cut-off (ordered by missed spend, then EAN): {EANS[1]}, {EANS[0]}" in out
    assert f"Not ranked: 1 unit (1: {penalty.STATUS_RATE_OUT_OF_RANGE})" in out
    assert "warning: 1 unit loses more than 10 % of their goods budget (largest: Skole B, 20,0 %)" \
        in out.replace("\u00a0", " ")
    assert main(["penalty", "--db", str(db), "--n", "1", "--amount", "20000", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsysbinary.readouterr().out.decode())))
    assert [(row["ean"], row["status"], row["tied_at_cutoff"], row["cut"]) for row in rows] == [
        (EANS[1], penalty.STATUS_SELECTED, "True", "20000"), (EANS[0], penalty.STATUS_NOT_SELECTED, "True", "0")]
    assert main(["penalty", "--db", str(db), "--n", "1", "--format", "excel"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsysbinary.readouterr().out.decode("utf-8-sig")), delimiter=";"))
    assert [row["Samme procent som ved afskæringen"] for row in rows] == ["ja", "ja"]


def test_penalty_table_shows_every_amount_in_kroner(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["penalty", "--db", str(small_db), "--n", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(line.count("kr.") == 2 for line in lines[2:5]), lines  # the key (goods budget) and the cut
