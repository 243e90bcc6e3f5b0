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
from typing import IO

import openpyxl
import pytest

from analysis import db
from analysis.report import excel
from analysis.engines import rates
from analysis.report import serving
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
    assert explorer.workbook == b"" and explorer.download.value == ""  # written on the button only
    explorer.prepare_download()
    assert workbook_cuts(explorer.workbook) == engine_cuts(small_db, n=5, key="missed")
    assert 'download="sanktion_2025.xlsx"' in explorer.download.value
    assert any("sanktion_2025.xlsx" in output["data"]["application/javascript"]
               for output in explorer.starter.outputs)  # one press starts the download
    # The charts are the engine's figures: every ranked unit, the five selected orange.
    ranking = explorer.ranking.bars
    table = explorer.result.table.dropna(subset=["rank"]).sort_values("rank")
    assert list(ranking.x) == table["rank"].astype(int).tolist()
    assert list(ranking.y) == pytest.approx((table["rate"] * 100).tolist())
    assert int(sum(ranking.color)) == 5 and list(ranking.color[:5]) == [1.0] * 5
    assert explorer.ranking.cutoff.y[0] == pytest.approx(explorer.result.cutoff_rate * 100)
    labels = list(explorer.probability.bars.x)
    assert labels[0].startswith("1. ") and len(labels) == 5 + 10  # ten places either side of the cut-off
    assert list(explorer.probability.bars.color).count(1.0) == 5
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
    explorer.prepare_download()
    explorer.controls["amount"].value = 1_000_000
    assert explorer.workbook == b"" and explorer.download.value == ""  # the last scenario's file is withdrawn



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

def explore(database: Path, port: int, *options: str, stderr: int | IO[str] = subprocess.DEVNULL) -> subprocess.Popen:
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
            orange = ("() => [...document.querySelectorAll('.bqplot')[0].querySelectorAll('rect.bar')]"
                      ".filter(bar => bar.style.fill == 'rgb(197, 90, 17)').length")
            page.wait_for_function(f"({orange})() == 24", timeout=30_000)  # the charts are live widgets
            cut_before = page.locator("table.tabel tbody tr td.num").nth(5).inner_text()

            readout = page.locator(".widget-readout").first  # the N slider's number, editable
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("6")
            page.keyboard.press("Enter")
            page.wait_for_function("document.querySelectorAll('table.tabel tbody tr').length == 7", timeout=30_000)
            page.wait_for_selector("text=Opdateret")
            page.wait_for_function(f"({orange})() == 6", timeout=30_000)  # the chart follows N
            assert page.title() == "E-handel: sanktionsscenarier"
            assert page.evaluate("document.documentElement.lang") == "da"

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


def until(condition, seconds: float = 90, message: str = "") -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, message
        time.sleep(0.5)


@pytest.mark.slow
def test_an_idle_kernel_is_stopped_and_none_outlive_the_server(small_db: Path, tmp_path: Path) -> None:
    """Each opened page keeps a kernel of about 300 MB: the explorer stops one idle for
    --idle-minutes (the preheated one waiting for the next page stays), and stopping the server
    stops them all. Served to colleagues (--host 0.0.0.0), it first warns that it has no login."""
    import urllib.request

    port = free_port()
    log = tmp_path / "explorer.log"  # a file, not a pipe: a full pipe would stall the server's logging
    with log.open("w") as stderr:
        server = explore(small_db, port, "--host", "0.0.0.0", "--idle-minutes", "0.2", stderr=stderr)

    def kernels() -> list:
        return serving.kernel_processes(server.pid)

    try:
        wait_for(port)
        until(lambda: len(kernels()) == 1, message="one kernel preheated before any page")
        preheated = kernels()[0]
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120).read()
        assert b"application/vnd.jupyter.widget-view+json" in page  # the panel, rendered by a kernel
        until(lambda: len(kernels()) == 2, message="the page's kernel and the next preheated one")
        until(lambda: preheated not in kernels(), 60, "the page's kernel is stopped after 12 s idle")
        assert len(kernels()) == 1  # the preheated kernel waits for the next page
        started = kernels()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    assert "warning: the explorer has no login" in log.read_text()
    time.sleep(2)
    assert not any(process.is_running() and process.status() != "zombie" for process in started)


MEMORY_BOUND = 1536 * 2**20  # bytes: the server and --max-kernels 3 kernels of about 300 MB each


@pytest.mark.slow
def test_twenty_page_loads_keep_memory_bounded(small_db: Path) -> None:
    """Twenty pages opened one after another (tabs left open or closed alike) never hold more than
    --max-kernels kernels: the one unused the longest makes way, so memory stays under a bound."""
    import psutil
    import urllib.request

    port = free_port()
    server = explore(small_db, port, "--max-kernels", "3")
    most, peak = 0, 0
    try:
        wait_for(port)
        for _ in range(20):
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120).read()
            assert b"application/vnd.jupyter.widget-view+json" in page
            kernels = serving.kernel_processes(server.pid)
            tree = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
            most = max(most, len(kernels))
            peak = max(peak, sum(process.memory_info().rss for process in tree if process.is_running()))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    assert most <= 3, f"{most} kernels at once"
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MB"


def test_the_kernel_cap_stops_the_kernel_unused_the_longest() -> None:
    """Closed tabs go first, then the open tab idle the longest; a page just given its kernel and
    the preheated kernel are never stopped for a newcomer."""
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace

    from analysis.report.serving import BoundedKernelManager

    now = datetime.now(timezone.utc)
    manager = BoundedKernelManager(max_kernels=3)
    manager._kernels = {name: SimpleNamespace(last_activity=now - timedelta(minutes=age))
                        for name, age in [("open-old", 30), ("closed-new", 1), ("closed-old", 5)]}
    manager._kernel_connections = {"open-old": 1, "closed-new": 0, "closed-old": 0}
    assert manager._longest_unused() == "closed-old"
    manager._kernel_connections["closed-old"] = manager._kernel_connections["closed-new"] = 1
    assert manager._longest_unused() == "open-old"
    manager._pooled = {"open-old"}  # it just left Voilà's preheated pool: a page is connecting to it
    assert manager._longest_unused() == "closed-old"


def test_the_idle_time_must_be_positive(small_db: Path, capsys: pytest.CaptureFixture) -> None:
    from analysis.cli import main

    assert main(["explore", "--db", str(small_db), "--idle-minutes", "0"]) == 2
    assert "--idle-minutes: must be above 0" in capsys.readouterr().err
