"""Notebooks under papermill and the report build: real kernels, real HTML, real PDFs read back."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import papermill
import pytest
from pypdf import PdfReader

from analysis import db
from analysis.report import excel
from analysis.engines import rates
from analysis.report.build import build_reports, discover_notebooks, scenario_ids
from analysis.errors import BuildError, ParameterError
from analysis.formats import mio_kr, pct, points
from analysis.paths import NOTEBOOK_DIR

pytestmark = pytest.mark.slow


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture(scope="module")
def built(small_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("reports")
    build_reports(db_path=small_db, run="test", parameters={"report_date": "2026-11-23", "case_number": "26-123", "n": "10"},
                  reports_dir=reports)
    return reports / "test"


def test_build_writes_notebook_html_and_pdf_per_report(built: Path) -> None:
    names = sorted(p.name for p in built.iterdir())
    for stem in (p.stem for p in discover_notebooks().values()):
        assert {f"{stem}.ipynb", f"{stem}.html", f"{stem}.pdf"} <= set(names)
    assert not any(p.name.startswith(".") for p in built.parent.iterdir())  # no half-written build left


def test_the_build_records_the_run_in_the_register_beside_the_database(built: Path, small_db: Path) -> None:
    """For analysis compare: the proposal's per-unit result outlives the run folder."""
    from analysis import runs

    recorded = runs.load(small_db, "test")
    assert recorded.entry["parameters"]["n"] == 10 and recorded.entry["scenario_id"] == scenario_ids(built)["penalty"]
    assert int(recorded.units["cut"].sum()) == 1_500_000 and int((recorded.units["cut"] > 0).sum()) == 10


def test_pdf_shows_headline_figures_in_danish_format(built: Path, small_db: Path) -> None:
    con = db.connect(small_db)
    yearly = rates.municipality_rates(con).set_index("period")
    meta = db.meta(con)
    con.close()
    text = pdf_text(built / "01_ehandel_status.pdf")
    current, previous = yearly.loc["2025"], yearly.loc["2024"]
    for expected in (
        meta["municipality"], "Økonomiudvalget", "23. november 2026", "26-123",
        f"E-handelsprocent 2025 {pct(current['rate'])}",
        points(current["rate"] - previous["rate"]),
        mio_kr(current["eligible_amount"]),
        "Syntetiske data",
        "Side 1 af",
    ):
        assert expected.replace("\u00a0", " ") in text, expected
    assert re.search(r"\d{1,3}(\.\d{3})+ kr\.", text), "amounts in Danish thousands format"
    assert not re.search(r"\d,\d{3},\d{3}", text), "no English thousands separators"


def body_and_outside(page) -> tuple[str, list[str]]:
    """A page's text without its running footer (municipality · title, Side x af y), and the
    pieces of text placed outside the page box."""
    box, outside = page.mediabox, []

    def visit(text: str, cm: list[float], tm: list[float], _font: object, _size: float) -> None:
        x, y = tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip() and not (float(box.left) - 1 <= x <= float(box.right) + 1
                                 and float(box.bottom) - 1 <= y <= float(box.top) + 1):
            outside.append(text)

    lines = page.extract_text(visitor_text=visit).splitlines()
    return "\n".join(line for line in lines if not re.search(r"Side \d+ af \d+$", line)), outside


def test_pdf_pages_all_have_content(built: Path) -> None:
    """Every page has body text beside its running footer (a page once held only the heading
    "Bilag"), and no text lies outside the page box."""
    for pdf in sorted(built.glob("*.pdf")):
        pages = PdfReader(pdf).pages
        assert len(pages) >= 2, pdf.name
        for number, page in enumerate(pages, 1):
            body, outside = body_and_outside(page)
            assert len(body.strip()) > 40, f"{pdf.name} page {number}: no body content"
            assert outside == [], f"{pdf.name} page {number}: text outside the page: {outside[:3]}"
        assert all(abs(float(page.mediabox.width) - 595.3) < 1 for page in pages), "A4 portrait"
        assert f"Side {len(pages)} af {len(pages)}" in pdf_text(pdf), "page numbers"


@pytest.mark.skipif(not Path(shutil.which("chromium") or "/usr/bin/chromium").exists(),
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_html_reports_fit_a_phone_and_a_laptop_without_sideways_scrolling(built: Path) -> None:
    """At 400 and 1366 px wide no page scrolls sideways: a wide table scrolls within its own box."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            for width in (400, 1366):
                page = browser.new_page(viewport={"width": width, "height": 900})
                for html in sorted(built.glob("*.html")):
                    page.goto(html.as_uri())
                    assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, html.name)
                page.close()
        finally:
            browser.close()

def test_html_is_self_contained_and_has_no_code(built: Path) -> None:
    for path in sorted(built.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", html)
        assert all(ref.startswith(("data:", "#")) for ref in references), (path.name, references)
        assert "<script" not in html and "<link" not in html and "@import" not in html, path.name
        assert "import " not in html and "display(" not in html, f"{path.name}: code cells are shown"
    html = (built / "01_ehandel_status.html").read_text(encoding="utf-8")
    assert re.search(r'<img alt="E-handelsprocent pr. måned og pr. år" src="data:image/png;base64,', html)


def test_every_report_shows_the_scenario_id_its_run_records(built: Path) -> None:
    """So that a committee PDF can be traced to the data, parameters and code it came from."""
    ids = scenario_ids(built)
    notebooks = discover_notebooks()
    assert set(ids) == set(notebooks) and len(set(ids.values())) == len(ids)
    for name, path in notebooks.items():
        text = pdf_text(built / f"{path.stem}.pdf")
        assert re.search(rf"Beregnings-id\s+{ids[name]}\s+\(samme id: samme data, parametre og beregning\)", text), name


def test_executed_notebook_is_kept_with_parameters(built: Path) -> None:
    nb = nbformat.read(built / "01_ehandel_status.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'case_number = "26-123"' in injected[0].source


def test_parameters_are_validated_before_anything_runs(small_db: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="unknown parameter"):
        build_reports(db_path=small_db, parameters={"nonsense": "1"}, reports_dir=tmp_path)
    with pytest.raises(ParameterError, match="^level: must be a whole number from 1 to 4, not 7$"):
        build_reports(db_path=small_db, parameters={"level": "7"}, reports_dir=tmp_path)
    with pytest.raises(ParameterError, match="^year 2030 has no data"):
        build_reports(db_path=small_db, parameters={"year": "2030"}, reports_dir=tmp_path)
    with pytest.raises(ParameterError, match="^n: 500 units to cut, but only 24 units can be ranked$"):
        build_reports(db_path=small_db, parameters={"n": "500"}, reports_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def notebook_with_cell(folder: Path, name: str, source: str) -> Path:
    """A notebook folder holding one report notebook with an extra code cell at the end."""
    folder.mkdir()
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, folder / name)
    return folder


def test_failing_cell_names_notebook_and_error(small_db: Path, tmp_path: Path) -> None:
    notebooks = notebook_with_cell(tmp_path / "notebooks", "01_ehandel_status.ipynb", "raise RuntimeError('kunne ikke')")
    with pytest.raises(BuildError, match=r"^01_ehandel_status.ipynb: cell \d+ .*failed: RuntimeError: kunne ikke$"):
        build_reports(db_path=small_db, reports_dir=tmp_path / "reports", notebook_dir=notebooks, run="x")
    assert not (tmp_path / "reports" / "x").exists()


def test_notebook_runs_with_papermill_cli_and_non_default_parameters(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "papermill", str(NOTEBOOK_DIR / "01_ehandel_status.ipynb"), str(out),
         "-p", "db_path", str(small_db), "-p", "year", "2024", "-p", "level", "3", "-p", "basis", "count",
         "-p", "top_n", "3", "--cwd", str(NOTEBOOK_DIR)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    nb = nbformat.read(out, as_version=4)
    shown = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
    assert "status 2024" in shown and "Områder (niveau 3)" in shown
    assert "De 3 enheder med lavest e-handelsprocent i 2024" in shown


def test_notebook_rejects_bad_parameters_under_plain_papermill(small_db: Path, tmp_path: Path) -> None:
    with pytest.raises(papermill.PapermillExecutionError, match="basis: must be one of amount, count"):
        papermill.execute_notebook(str(NOTEBOOK_DIR / "01_ehandel_status.ipynb"), str(tmp_path / "o.ipynb"),
                                   parameters={"db_path": str(small_db), "basis": "kroner"},
                                   cwd=str(NOTEBOOK_DIR), progress_bar=False)


def test_a_misspelt_parameter_stops_a_plain_papermill_run(small_db: Path, tmp_path: Path) -> None:
    """papermill itself only logs "Passed unknown parameter" and runs with the default year."""
    with pytest.raises(papermill.PapermillExecutionError,
                       match=r"unknown parameter\(s\) yaer \(did you mean year\?\); ehandel_status takes: basis,"):
        papermill.execute_notebook(str(NOTEBOOK_DIR / "01_ehandel_status.ipynb"), str(tmp_path / "o.ipynb"),
                                   parameters={"db_path": str(small_db), "yaer": 2024},
                                   cwd=str(NOTEBOOK_DIR), progress_bar=False)


def test_penalty_notebook_with_non_default_parameters_writes_excel(small_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / "03_penalty.ipynb"), str(out), cwd=str(NOTEBOOK_DIR), progress_bar=False,
        parameters={"db_path": str(small_db), "n": 6, "amount": 2_000_000, "key": "missed", "cap": 0.9,
                    "exempt_types": "botilbud", "replicates": 200, "budget_years": "2026-2027",
                    "output_dir": str(tmp_path)})
    shown = json.dumps([c.get("outputs", []) for c in nb_cells(out)], ensure_ascii=False).replace("\u00a0", " ")
    assert "2.000.000 kr. fordelt på 6 enheder" in shown
    workbook = openpyxl.load_workbook(tmp_path / "sanktion.xlsx")
    assert workbook.sheetnames == ["Fordeling", "Parametre", "Sandsynlighed"]
    sheet = workbook["Fordeling"]
    table = pd.read_excel(tmp_path / "sanktion.xlsx", sheet_name="Fordeling", header=excel.HEADER_ROW - 1)
    assert table["Reduktion"].iloc[:-1].sum() == 2_000_000 == table["Reduktion"].iloc[-1]  # the units, the total row
    assert table["Enhed"].iloc[-1] == "I alt" and (table["Status"] == "Udvalgt").sum() == 6
    assert sheet.freeze_panes == f"A{excel.HEADER_ROW + 1}"
    assert workbook["Parametre"]["A1"].value == "Sanktion for lav e-handel: parametre og regler"
    assert any(str(cell.value).startswith("Kilde: indkøbsdata indlæst ") and "beregnings-id" in str(cell.value)
               for cell in sheet["A"][:excel.HEADER_ROW])
    assert "botilbud" in [row[1] for row in workbook["Parametre"].iter_rows(values_only=True)]


def nb_cells(path: Path) -> list:
    return nbformat.read(path, as_version=4).cells


def test_penalty_pdf_shows_the_cut(built: Path) -> None:
    text = pdf_text(built / "03_penalty.pdf")
    assert "Sanktion for lav e-handel: 1.500.000 kr. fordelt på 10 enheder" in text
    assert "Hvor sikker er udvælgelsen" in text and "Budgetårene" in text
    assert (built / "sanktion.xlsx").exists()


def test_benchmark_notebook_with_non_default_parameters(small_db: Path, tmp_path: Path) -> None:
    newer = tmp_path / "kl.csv"
    newer.write_text("Kommune;År;Mål;Værdi;Kilde;URL;Læst\nNabokommune;2025;andel_kr;41,5;KL 2026;https://kl.dk/n;"
                     "01-11-2026\n", encoding="utf-8")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / "02_benchmark.ipynb"), str(out), cwd=str(NOTEBOOK_DIR), progress_bar=False,
        parameters={"db_path": str(small_db), "year": 2024, "comparators": "Nabokommune,Københavns Kommune",
                    "target": "0.45", "saving_per_invoice": 50.0, "price_effect": 0.02, "benchmark_file": str(newer)})
    shown = json.dumps([c.get("outputs", []) for c in nb_cells(out)], ensure_ascii=False).replace("\u00a0", " ")
    assert "benchmark og gevinster 2024" in shown and "Afstand til valgt mål" in shown
    assert "Nabokommune" in shown and "KL 2026 (https://kl.dk/n)" in shown
    assert "Bornholms Regionskommune 2024" not in shown  # not a chosen comparator


def test_partial_build_keeps_the_other_reports(built: Path, small_db: Path) -> None:
    before = {p.name for p in built.iterdir()}
    build_reports(db_path=small_db, only=["benchmark"], run=built.name, reports_dir=built.parent,
                  parameters={"report_date": "2026-11-23"})
    assert {p.name for p in built.iterdir()} == before


@pytest.mark.slow
def test_a_scenario_file_serves_a_partial_build(small_db: Path, tmp_path: Path) -> None:
    """`build --only proposal_form --params budget_2027_2030.yml` was refused because the scenario
    also names the penalty's key and cap: a scenario is for the whole run, so names only notebooks
    left out take are left out too; a name no notebook takes is still refused, and -p stays strict."""
    scenario = {"budget_years": "2027-2030", "key": "budget", "cap": 0.0, "n": 10, "report_date": "2026-11-23"}
    build_reports(db_path=small_db, only=["proposal_form"], run="form", reports_dir=tmp_path, scenario=scenario)
    assert "Budget 2027-2030" in pdf_text(tmp_path / "form" / "06_proposal_form.pdf")
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) kye \(did you mean key\?\)"):
        build_reports(db_path=small_db, only=["proposal_form"], run="typo", reports_dir=tmp_path,
                      scenario={**scenario, "kye": "budget"})
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) key"):
        build_reports(db_path=small_db, only=["proposal_form"], run="strict", reports_dir=tmp_path,
                      scenario=scenario, parameters={"key": "missed"})


def test_a_partial_build_with_other_figures_is_refused_rather_than_mixed_into_the_run(built: Path,
                                                                                      small_db: Path) -> None:
    """`build --only briefing -p n 40` overwrote the briefing and sanktion.xlsx beside a 30-unit
    03_penalty.pdf (here: 10 units). A run folder holds one scenario: other values for a shared parameter are refused."""
    pdf = built / "04_briefing.pdf"
    stamp = pdf.stat().st_mtime_ns
    with pytest.raises(ParameterError, match=r"was built with n = 10 \(\w+\); building briefing with n = 12"
                                             r" would put two scenarios in one folder"):
        build_reports(db_path=small_db, only=["briefing"], run=built.name, reports_dir=built.parent,
                      parameters={"n": "12"})
    assert pdf.stat().st_mtime_ns == stamp


def test_benchmark_pdf_cites_sources(built: Path) -> None:
    text = pdf_text(built / "02_benchmark.pdf")
    assert "Afstand til Københavns Kommune 2021" in text
    assert "Kilder: " in text and "SKI: Indkøbschef i Københavns Kommune" in text and "www.ski.dk" in text
    assert "Obligatoriske områder" in text and "ikke bekræftet" in text and "62 kr. pr. e-handlet faktura" in text


def test_briefing_pdf_has_headline_figures_and_the_budget_table(built: Path, small_db: Path) -> None:
    text = pdf_text(built / "04_briefing.pdf")
    con = db.connect(small_db)
    current = rates.municipality_rates(con).set_index("period").loc["2025"]
    con.close()
    for expected in ("Notat til Økonomiudvalget", "Øget brug af e-handel (ØU08)", f"E-handelsprocent 2025 {pct(current['rate'])}",
                     "Foreslået reduktion 1.500.000 kr.", "om året, fordelt på 10 enheder", mio_kr(current["eligible_amount"]),
                     "Beløb i 1.000 kr. 2026-priser 2026 2027 2028 2029",
                     "Effektivisering -1.500 -1.500 -1.500 -1.500", "Samlet ændring (Netto) -1.500 -1.500 -1.500 -1.500",
                     "Note: (-) = mindreudgift/merindtægt, (+) = merudgift/mindreindtægt",
                     "Usikkerhed", "Metode og data", "Bilag: alle enheder, der rammes"):
        assert expected.replace("\u00a0", " ") in text, expected
    assert ".." not in text.replace("...", "")


def test_briefing_budget_table_follows_the_parameters(small_db: Path, tmp_path: Path) -> None:
    build_reports(db_path=small_db, only=["briefing"], run="x", reports_dir=tmp_path,
                  parameters={"n": "5", "amount": "2345600", "budget_years": "2027-2030", "price_year": "2027",
                              "replicates": "200", "report_date": "2026-11-23"})
    text = pdf_text(tmp_path / "x" / "04_briefing.pdf")
    assert "Beløb i 1.000 kr. 2027-priser 2027 2028 2029 2030" in text
    assert "Effektivisering -2.346 -2.346 -2.346 -2.346" in text and "Foreslået reduktion 2.345.600 kr." in text
    assert (tmp_path / "x" / "sanktion.xlsx").exists()


@pytest.mark.parametrize("case", ["eboks", "ehandel"])
def test_business_case_notebook_runs_for_both_cases(small_db: Path, tmp_path: Path, case: str) -> None:
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / "05_business_case.ipynb"), str(out), cwd=str(NOTEBOOK_DIR), progress_bar=False,
        parameters={"db_path": str(small_db), "case": case, "discount_rate": 0.05, "department_share": 0.6,
                    "amount": 2_000_000})
    shown = json.dumps([c.get("outputs", []) for c in nb_cells(out)], ensure_ascii=False).replace("\u00a0", " ")
    if case == "eboks":
        assert "Tabel 1" in shown and "-5.540" in shown and "Fordeling mellem forvaltningerne" in shown
        assert "3.000.000" in shown
    else:
        assert "Øget brug af e-handel (ØU08)" in shown and "-2.000" in shown


def test_business_case_pdf_reproduces_table_1(built: Path) -> None:
    text = pdf_text(built / "05_business_case.pdf")
    assert "Tabel 1 – Fordeling af investeringsforpligtelse, nettoafkast og gevinst" in text
    assert "Gevinst i alt - - 3.658 4.527 6.127" in text and "Tilbagebetalt 2012" in text


def test_stuck_cell_stops_the_build_with_an_error(tmp_path: Path) -> None:
    notebooks = notebook_with_cell(tmp_path / "notebooks", "05_business_case.ipynb", "import time\ntime.sleep(600)")
    with pytest.raises(BuildError, match=r"^05_business_case.ipynb: a cell ran longer than 3 s"):
        build_reports(reports_dir=tmp_path / "reports", notebook_dir=notebooks, run="x", cell_timeout=3)
    assert not (tmp_path / "reports" / "x").exists()
    with pytest.raises(ParameterError, match="cell timeout"):
        build_reports(reports_dir=tmp_path / "reports", notebook_dir=notebooks, run="x", cell_timeout=0)


def test_kernels_talk_through_sockets_of_their_own(tmp_path: Path) -> None:
    """Two kernels starting at once over TCP can pick the same port (one then dies): the build's
    kernels use Unix sockets with a path of their own, removed when the kernel stops."""
    code = "import json, ipykernel\ninfo = json.load(open(ipykernel.get_connection_file()))\nprint(info['transport'], info['ip'])"
    notebooks = notebook_with_cell(tmp_path / "notebooks", "05_business_case.ipynb", code)
    build_reports(reports_dir=tmp_path / "reports", notebook_dir=notebooks, run="x")
    nb = nbformat.read(tmp_path / "reports" / "x" / "05_business_case.ipynb", as_version=4)
    transport, ip = nb.cells[-1].outputs[0]["text"].split()
    if os.name != "posix":
        assert transport == "tcp"
        return
    assert transport == "ipc" and Path(ip).name.startswith("analysis-kernel-")
    assert list(Path(ip).parent.glob(Path(ip).name + "*")) == []


def test_build_skips_notebook_only_cells_and_the_panel_runs_in_jupyter(built: Path, small_db: Path,
                                                                      tmp_path: Path) -> None:
    def panel(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
        (cell,) = [c for c in nb.cells if "notebook-only" in c.metadata.get("tags", []) and c.cell_type == "code"]
        return cell

    assert panel(nbformat.read(built / "03_penalty.ipynb", as_version=4)).outputs == []
    # Outside a build (an analyst in JupyterLab) the cell runs and shows the slider panel.
    out = tmp_path / "03_penalty.ipynb"
    papermill.execute_notebook(str(NOTEBOOK_DIR / "03_penalty.ipynb"), str(out), cwd=str(NOTEBOOK_DIR),
                               parameters={"db_path": str(small_db), "n": 10, "replicates": 100},
                               progress_bar=False, execution_timeout=300)
    shown = [o for o in panel(nbformat.read(out, as_version=4)).outputs if o.output_type == "display_data"]
    assert any("application/vnd.jupyter.widget-view+json" in o.data for o in shown)


def test_benchmark_pdf_writes_its_target_sentence_in_danish(built: Path, small_db: Path) -> None:
    """The sentence once ran through .replace(',', '.'), which turned 53,0 % into 53.0 %."""
    text = pdf_text(built / "02_benchmark.pdf")
    assert "Hvis kommunen når 53,0 % (Københavns Kommune 2021), flyttes" in text
    assert not re.search(r"\d\.\d %", text), "a percentage with a decimal point"


@pytest.fixture(scope="module")
def kmd_built(small_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reports on the synthetic municipality delivered as the KMD/TrueLink table (no invoice numbers)."""
    import shutil

    from analysis.ingest import ingest
    from analysis.synthetic.kmd_export import write_kmd_table

    raw = tmp_path_factory.mktemp("kmd") / "raw"
    shutil.copytree(small_raw, raw)
    write_kmd_table(raw)
    database = raw.parent / "kmd.duckdb"
    ingest(raw, database)
    reports = raw.parent / "reports"
    build_reports(db_path=database, run="kmd", only=["ehandel_status", "benchmark", "briefing"],
                  parameters={"report_date": "2026-11-23", "n": "10"}, reports_dir=reports)
    return reports / "kmd"


@pytest.mark.parametrize("stem", ["01_ehandel_status", "02_benchmark", "04_briefing"])
def test_reports_on_a_single_table_export_say_why_invoices_are_not_counted(kmd_built: Path, stem: str) -> None:
    text = pdf_text(kmd_built / f"{stem}.pdf")
    assert "har intet fakturanummer" in text
    assert not re.search(r"\bnan\b|<NA>", text, re.IGNORECASE)
    assert "Opgjort i antal fakturaer" not in text


def test_a_count_basis_is_refused_where_invoices_cannot_be_counted(kmd_built: Path) -> None:
    from analysis import params

    with pytest.raises(ParameterError, match="basis: count is not available for this database: .* fakturanummer"):
        params.ehandel_status(db_path=kmd_built.parent.parent / "kmd.duckdb", basis="count")
    with pytest.raises(ParameterError, match="case ehandel: the saving is counted per e-handled invoice"):
        params.business_case(db_path=str(kmd_built.parent.parent / "kmd.duckdb"), case="ehandel")


@pytest.fixture(scope="module")
def unspsc_only_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reports on real-like data classified by UNSPSC alone (catalogue lines only): the trap of #16."""
    from analysis.ingest import ingest
    from analysis.paths import REFERENCE_DIR
    from analysis.synthetic.municipality import generate

    raw = tmp_path_factory.mktemp("unspsc_only") / "raw"
    generate(raw, seed=7, years=(2025,), scale=0.1, real_like=True)
    rules = (REFERENCE_DIR / "egnethed.csv").read_text(encoding="utf-8").splitlines()
    (raw / "egnethed.csv").write_text("\n".join(r for r in rules if not r.startswith("art;")) + "\n", encoding="utf-8")
    database = raw.parent / "db.duckdb"
    ingest(raw, database)
    reports = raw.parent / "reports"
    with pytest.raises(ParameterError, match="unclassified_reason"):
        build_reports(db_path=database, run="refused", only=["ehandel_status"], reports_dir=reports)
    build_reports(db_path=database, run="flagged", only=["ehandel_status", "penalty", "briefing"],
                  parameters={"report_date": "2026-11-23", "n": "10", "key": "eligible",
                              "unclassified_reason": "Afprøvning på kataloglinjer"}, reports_dir=reports)
    return reports / "flagged"


@pytest.mark.parametrize("stem", ["01_ehandel_status", "03_penalty", "04_briefing"])
def test_reports_on_unspsc_only_data_warn_give_the_range_and_the_reason(unspsc_only_built: Path, stem: str) -> None:
    text = pdf_text(unspsc_only_built / f"{stem}.pdf")
    assert "Advarsel om skæv klassifikation" in text and "sandsynligvis for høj" in text
    assert re.search(r"ligger e-handelsprocenten mellem \d+,\d % og 100,0 %", text)
    assert "enhederne er alligevel rangeret med denne begrundelse: »Afprøvning på kataloglinjer«" in text
    if stem == "04_briefing":  # one year of data: no "from 25,2 % in 2025 to 25,2 % in 2025"
        assert "E-handelsprocenten var" in text and "er gået fra" not in text
    if stem == "01_ehandel_status":  # the unit lists give each unit's range too
        assert "Hvis uklassificeret er egnet" in text
    if stem != "03_penalty":  # the method sections: coverage by key, the order matching rule, cross-matches
        assert "Egnethedsreglernes dækning" in text and "Uklassificeret" in text
        assert re.search(r"ordrenummer og køber-\s?EAN skal stemme med ordren, og leverandør-\s?CVR, når ordren har det",
                         text)
        assert re.search(r"[\d.]+ fakturaer \([\d.]+ kr\.\) henviser til nummeret på en e-handelsordre", text)


@pytest.mark.parametrize("run", ["..", ".", "", "../x", "a/b", ".hidden", "x" * 101])
def test_a_run_name_that_is_not_a_plain_folder_name_is_refused_before_anything_is_removed(
        small_db: Path, tmp_path: Path, run: str) -> None:
    reports = tmp_path / "reports"
    (reports / "scenarios").mkdir(parents=True)
    (reports / "scenarios" / "oeu08.yml").write_text("n: 30\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="is not a plain folder name"):
        build_reports(db_path=small_db, only=["ehandel_status"], run=run, reports_dir=reports)
    assert (reports / "scenarios" / "oeu08.yml").exists() and (tmp_path / "reports").exists()


def test_a_build_replaces_only_run_folders_that_a_build_wrote(small_db: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    (reports / "scenarios").mkdir(parents=True)
    (reports / "scenarios" / "oeu08.yml").write_text("n: 30\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="was not written by analysis build"):
        build_reports(db_path=small_db, run="scenarios", reports_dir=reports, parameters={"n": "10"})
    assert (reports / "scenarios" / "oeu08.yml").exists()
    first = build_reports(db_path=small_db, only=["ehandel_status"], run="r", reports_dir=reports)
    again = build_reports(db_path=small_db, run="r", reports_dir=reports, parameters={"n": "10"})
    assert {p.name for p in first} < {p.name for p in again} and (reports / "r" / ".analysis-build").exists()
    mask = os.umask(0o022)
    os.umask(mask)
    assert (reports / "r").stat().st_mode & 0o777 == 0o777 & ~mask  # colleagues can open it (it was 0700)


def test_an_image_description_is_escaped_in_the_html() -> None:
    from analysis.report.build import to_html

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="},
                                           metadata={"image/png": {"alt": '"><script>alert(1)</script>'}})]
    nb.cells = [cell]
    html = to_html(nb, "Test")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_two_builds_of_the_same_inputs_give_identical_bytes(small_db: Path, tmp_path: Path) -> None:
    """A checksum can show that a committee's PDF came from given data and parameters: papermill's
    timestamps, its random cell id, the staging folder's path and the workbook's save time used to
    make every file of a rebuild differ, and 03 and 04 raced to write sanktion.xlsx."""
    import hashlib

    same = {"report_date": "2026-11-23", "case_number": "26-123", "n": "10", "replicates": "200"}
    for run in ("first", "second"):
        build_reports(db_path=small_db, run=run, parameters=same, reports_dir=tmp_path / run)

    def digests(folder: Path) -> dict[str, str]:
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}

    first, second = digests(tmp_path / "first" / "first"), digests(tmp_path / "second" / "second")
    assert {name for name in first if name.endswith(".pdf")} >= {"03_penalty.pdf", "04_briefing.pdf"}
    assert "sanktion.xlsx" in first
    assert first == second
    executed = nbformat.read(tmp_path / "first" / "first" / "04_briefing.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["output_dir"] == ""  # 03 writes the workbook
    assert PdfReader(tmp_path / "first" / "first" / "04_briefing.pdf").metadata["/Title"].startswith("Notat")


def test_03_and_04_apply_the_rule_to_the_year_before(built: Path) -> None:
    """The committee's first question: did the units cut last time improve, and are they cut again?"""
    penalty_text, briefing_text = pdf_text(built / "03_penalty.pdf"), pdf_text(built / "04_briefing.pdf")
    assert "Samme regel året før" in penalty_text
    assert re.search(r"Med samme regel på tallene for 2024 ville 10 enheder være udvalgt\. \d+ af dem udvælges igen"
                     r" på tallene for 2025", penalty_text)
    sentence = re.search(r"Med samme regel på tallene for 2024 .*? udvalgte\.", penalty_text).group(0)
    assert sentence in briefing_text  # one sentence, the same in both
    assert "Enheder, der udvælges både på tallene for 2024 og for 2025" in penalty_text


def test_the_briefing_at_a_budget_follow_up_prints_the_months_it_ranks_on(small_db: Path, tmp_path: Path) -> None:
    build_reports(db_path=small_db, run="opf", only=["briefing"], reports_dir=tmp_path,
                  parameters={"follow_up_date": "2025-11-15", "n": "8", "report_date": "2026-11-23"})
    text = pdf_text(tmp_path / "opf" / "04_briefing.pdf")
    assert ("Budgetopfølgning pr. 15. november 2025: måleperioden er de seneste 12 måneder, november 2024 - oktober"
            " 2025 (12 måneder).") in text
    assert "Måleperiode 01-11-2024 - 31-10-2025" in text
