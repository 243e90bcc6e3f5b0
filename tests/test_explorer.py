"""The scenario explorer: the panel's logic, and end to end in a real browser (Voilà + Chromium)."""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from analysis import db
from analysis.report import excel
from analysis.engines import rates
from analysis.report.explorer import Explorer
from analysis.engines.penalty import PenaltyParameters, simulate, with_rate_before
from analysis.paths import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


def workbook_cuts(data: bytes) -> dict[str, int]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Fordeling"]
    headers = [c.value for c in sheet[excel.HEADER_ROW]]
    return {row[headers.index("EAN-nummer")]: row[headers.index("Reduktion")]
            for row in sheet.iter_rows(min_row=excel.HEADER_ROW + 1, values_only=True)
            if row[headers.index("Reduktion")] and row[headers.index("Enhed")] != "I alt"}


def engine_cuts(db: Path, **parameters) -> dict[str, int]:
    from analysis import db as database

    con = database.connect(db)
    first, last = rates.measurement_period(2025)
    units = rates.unit_rates_between(con, first, last)
    con.close()
    table = simulate(units, PenaltyParameters(**parameters)).table
    return {row.ean: int(row.cut) for row in table.itertuples() if row.cut}


@pytest.mark.slow
def test_panel_recomputes_with_the_engine_and_refuses_impossible_settings(small_db: Path) -> None:
    explorer = Explorer(small_db, replicates=100)
    explorer.recompute()
    assert "Opdateret" in explorer.status.value and len(explorer.result.selected) == 24  # all 24 units ranked
    explorer.controls["n"].value = 5
    explorer.controls["key"].value = "missed"
    assert len(explorer.result.selected) == 5
    assert workbook_cuts(explorer.workbook) == engine_cuts(small_db, n=5, key="missed")
    assert 'download="sanktion_2025.xlsx"' in explorer.download.value
    assert "1.500.000" in explorer.readouts["amount"].value and "intet loft" in explorer.readouts["cap"].value
    explorer.controls["cap"].value = 0.005
    assert "Ikke muligt: Loftet er for lavt: de udvalgte enheder kan tilsammen højst miste" in explorer.status.value
    assert "0,5\u00a0% af varebudgettet" in explorer.readouts["cap"].value  # Danish numbers beside the slider
    assert len(explorer.result.selected) == 5  # the last possible scenario stays on screen, greyed out
    assert all("stale" in widget._dom_classes for widget in explorer.results)
    explorer.controls["cap"].value = 0.0
    assert not any("stale" in widget._dom_classes for widget in explorer.results)
    kind = next(iter(explorer.type_boxes))
    explorer.type_boxes[kind].value = True  # a checkbox per unit type
    assert explorer.parameters().exempt_types == (kind,)
    assert kind not in set(explorer.result.selected["unit_type"])



@pytest.mark.slow
def test_notebook_03_starts_the_one_panel_at_its_own_parameters(small_db: Path) -> None:
    """Notebook 03's panel is the explorer (one panel, not two), started at the report's scenario."""
    with db.connect(small_db) as con:
        exempt = con.execute("SELECT min(ean) FROM units").fetchone()[0]
    start = PenaltyParameters(n=7, amount=1_000_000, key="missed", min_spend=10_000.0, cap=0.3, exempt_eans=(exempt,))
    explorer = Explorer(small_db, replicates=50, start=start, year=2025)
    assert explorer.parameters() == start
    explorer.recompute()
    assert "Opdateret" in explorer.status.value, explorer.status.value
    assert len(explorer.result.selected) == 7 and int(explorer.result.selected["cut"].sum()) == 1_000_000

def explore(database: Path, port: int, *options: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen:
    """``analysis explore`` in a process group of its own (the kernels stop with it)."""
    return subprocess.Popen([sys.executable, "-m", "analysis.cli", "explore", "--db", str(database), "--port", str(port),
                             *options], stdout=subprocess.DEVNULL, stderr=stderr, text=True,
                            env=os.environ.copy(), start_new_session=True)


def wait_for(port: int, seconds: float = 60) -> None:
    """Until something listens on ``port`` (the explorer's server has started)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_in_a_real_browser(small_db: Path) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = explore(small_db, port)
    try:
        wait_for(port)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1300, "height": 1400})
            page.goto(f"http://127.0.0.1:{port}/", timeout=90_000)
            page.wait_for_selector("text=Opdateret", timeout=90_000)
            assert page.locator("text=Sanktion for lav e-handel: scenarier").count() == 1
            assert page.locator(".jp-InputArea, .CodeMirror, .cm-editor").count() == 0, "no code visible"
            rows = page.locator("table.tabel tbody tr")
            assert rows.count() == 24 + 1  # 24 units and the total
            chart = page.locator("img").first.get_attribute("src")
            cut_before = page.locator("table.tabel tbody tr td.num").nth(5).inner_text()

            readout = page.locator(".widget-readout").first  # the N slider's number, editable
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("6")
            page.keyboard.press("Enter")
            page.wait_for_function("document.querySelectorAll('table.tabel tbody tr').length == 7", timeout=30_000)
            page.wait_for_selector("text=Opdateret")
            assert page.locator("img").first.get_attribute("src") != chart, "the chart follows N"

            page.select_option("select >> nth=1", label="Ikke e-handlet forbrug")
            page.wait_for_selector("text=nøgle: ikke e-handlet forbrug", timeout=30_000)
            page.wait_for_selector("text=Opdateret")
            assert page.locator("table.tabel tbody tr td.num").nth(5).inner_text() != cut_before

            with page.expect_download() as download:
                page.click("text=Hent fordelingen som Excel")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)
            assert workbook_cuts(Path(download.value.path()).read_bytes()) == engine_cuts(small_db, n=6, key="missed")
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


@pytest.mark.slow
def test_the_panel_applies_the_rules_against_the_ratchet(small_db: Path) -> None:
    explorer = Explorer(small_db, replicates=50)
    explorer.controls["n"].value = 10
    explorer.controls["threshold"].value = 0.08
    selected = explorer.result.selected
    assert 0 < len(selected) <= 10 and (selected["rate"] < 0.08).all()
    assert int(selected["cut"].sum()) == explorer.parameters().amount
    explorer.controls["threshold"].value = 0.0
    explorer.controls["credit"].value = 2.0  # 2025 ranked on its rate plus twice its rise since 2024
    with db.connect(small_db) as con:
        units = rates.unit_rates_between(con, *rates.measurement_period(2025))
        before = rates.unit_rates_between(con, *rates.measurement_period(2024))
    engine = simulate(with_rate_before(units, before), PenaltyParameters(n=10, credit=2.0))
    assert explorer.result.selected["ean"].tolist() == engine.selected["ean"].tolist()


def kernel_processes(server: subprocess.Popen) -> list:
    import psutil

    return [p for p in psutil.Process(server.pid).children(recursive=True)
            if any("ipykernel" in part for part in p.cmdline())]


@pytest.mark.slow
def test_an_idle_kernel_is_stopped_and_none_outlive_the_server(small_db: Path) -> None:
    """Each opened page keeps a kernel of about 360 MB: the explorer stops one idle for
    --idle-minutes, and stopping the server stops them all, so memory stays bounded. Served to
    colleagues (--host 0.0.0.0), it first warns that it has no login."""
    import urllib.request

    port = free_port()
    server = explore(small_db, port, "--host", "0.0.0.0", "--idle-minutes", "0.2", stderr=subprocess.PIPE)
    try:
        wait_for(port)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120).read()
        assert b"application/vnd.jupyter.widget-view+json" in page  # the panel, rendered by a kernel
        assert len(kernel_processes(server)) == 1  # the page's kernel, kept for its sliders
        deadline = time.time() + 60
        while kernel_processes(server) and time.time() < deadline:
            time.sleep(1)
        assert kernel_processes(server) == [], "an idle kernel is stopped after 12 s"
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120).read()
        started = kernel_processes(server)
        assert len(started) == 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    assert "warning: the explorer has no login" in server.stderr.read()
    time.sleep(2)
    assert not any(process.is_running() and process.status() != "zombie" for process in started)


def test_the_idle_time_must_be_positive(small_db: Path, capsys: pytest.CaptureFixture) -> None:
    from analysis.cli import main

    assert main(["explore", "--db", str(small_db), "--idle-minutes", "0"]) == 2
    assert "--idle-minutes: must be above 0" in capsys.readouterr().err
