"""The report build: validate parameters → papermill → nbconvert HTML → WeasyPrint PDF.

Every notebook in ``notebooks/`` named ``NN_name.ipynb`` is a report. A build writes, for each,
the executed notebook, a self-contained HTML file (no code, no external URLs) and an A4 PDF into
``reports/<run>/``. The folder is assembled under a temporary name and renamed when complete, so a
half-written build is never mistaken for a finished one.
"""

from __future__ import annotations

import ast
import json
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date
import multiprocessing
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import nbformat
import papermill
import yaml
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.preprocessors import TagRemovePreprocessor
from tqdm import tqdm
from traitlets import default

from .. import params, runs
from .documents import replace_folder
from ..paths import NOTEBOOK_DIR, REPORTS_DIR, TEMPLATE_DIR
from ..errors import BuildError, ParameterError

KERNEL = "python3"
NOTEBOOK_ONLY_TAG = "notebook-only"  # cells for the analyst in JupyterLab (widgets): not run or shown in reports
CELL_TIMEOUT = 1800  # seconds; a cell running longer is stuck, and the build stops with an error
KERNEL_START_TIMEOUT = 120  # seconds
BUILD_MARKER = ".analysis-build"  # in every run folder a build writes: the only folders a build replaces
BUILD_OUTPUTS = {".ipynb", ".html", ".pdf", ".xlsx", ".docx"}


class LocalKernelManager(AsyncKernelManager):
    """A notebook kernel reached through Unix sockets of its own, rather than TCP ports.

    Over TCP, jupyter_client picks free ports by opening and closing them before the kernel
    starts, so two kernels starting at the same moment (a build's workers, or two builds) can pick
    the same port, and one of them dies ("Address already in use", seen once on CI). A socket path
    unique to each kernel cannot collide. Windows has no such sockets and keeps TCP.
    """

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc" if os.name == "posix" else "tcp"

    @default("ip")
    def _default_ip(self) -> str:  # for "ipc" the path the kernel's sockets start with
        if self.transport == "ipc":
            return os.path.join(tempfile.gettempdir(), f"analysis-kernel-{uuid.uuid4().hex}")
        return super()._ip_default()


# A notebook whose files another notebook writes as well, and which leaves them to it when both
# are built: 04 writes sanktion.xlsx only in a build without 03 (make briefing).
WRITTEN_BY_ANOTHER = {"briefing": "penalty"}


def discover_notebooks(directory: Path = NOTEBOOK_DIR) -> dict[str, Path]:
    """Report notebooks by name: ``01_ehandel_status.ipynb`` → ``ehandel_status``."""
    found = {}
    for path in sorted(directory.glob("[0-9][0-9]_*.ipynb")):
        found[path.stem.split("_", 1)[1]] = path
    return found


def load_parameter_file(path: Path) -> dict[str, Any]:
    """A YAML mapping of parameter names to values, e.g. a scenario kept under reports/scenarios/."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ParameterError(f"{path}: cannot read parameters ({error})") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise ParameterError(f"{path}: expected a mapping of parameter names to values")
    return data


def declared_parameters(notebook: Path) -> dict[str, Any]:
    """The notebook's parameters cell as {name: default value}."""
    declared = papermill.inspect_notebook(str(notebook))
    return {name: ast.literal_eval(spec["default"]) for name, spec in declared.items()}


def parameters_help(notebook_dir: Path = NOTEBOOK_DIR) -> str:
    """Each notebook's parameters with default and meaning, as its parameters cell states them
    (for ``analysis build --help``)."""
    lines = ["notebooks (--only NAME) and their parameters (-p NAME VALUE; a name goes to every notebook that"
             " declares it):"]
    for name, path in discover_notebooks(notebook_dir).items():
        lines.append(f"\n  {name} ({path.name})")
        for parameter, spec in papermill.inspect_notebook(str(path)).items():
            lines.append(f"    {parameter} = {spec['default']}" + (f"  {spec['help']}" if spec["help"] else ""))
    return "\n".join(lines)


def coerce(name: str, text: str, default: Any) -> Any:
    """Convert a command-line value to the type of the parameter's default, as papermill -p would."""
    if text.lower() in ("none", "null"):
        return None
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if isinstance(default, int) or (default is None and text.lstrip("-").isdigit()):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        expected = {bool: "true or false", int: "whole number", float: "number"}.get(type(default), "number")
        raise ParameterError(f"{name}: {text!r} is not a {expected}") from None
    return text


def resolve(notebooks: dict[str, Path], db_path: Path | None,
            given: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, params.Inputs]]:
    """Each notebook's full parameter set, validated; unknown names are an error.

    Text values (from ``-p``) are converted to the type of the notebook's default; values from a
    YAML file arrive typed and are used as they are. Returns the values passed to papermill and
    the notebook's inputs (with its scenario id), per notebook.
    """
    declared = {name: declared_parameters(path) for name, path in notebooks.items()}
    known = set().union(*(d.keys() for d in declared.values()))
    params.refuse_unknown(given, known, "the build")
    resolved, checked = {}, {}
    for name, defaults in declared.items():
        values = {key: default for key, default in defaults.items()}
        for key in defaults.keys() & given.keys():
            value = given[key]
            values[key] = coerce(key, value, defaults[key]) if isinstance(value, str) else value
        if db_path is not None and "db_path" in values:
            values["db_path"] = str(Path(db_path).resolve())
        checked[name] = params.validate(name, values)  # raises ParameterError before anything runs
        resolved[name] = values
    return resolved, checked


def build_reports(db_path: Path | None = None, only: list[str] | None = None, run: str | None = None,
                  parameters: dict[str, Any] | None = None, reports_dir: Path = REPORTS_DIR,
                  notebook_dir: Path = NOTEBOOK_DIR, workers: int | None = None,
                  cell_timeout: int = CELL_TIMEOUT, scenario: dict[str, Any] | None = None) -> list[Path]:
    """Build the reports; returns the paths written. See the module docstring.

    ``scenario`` holds a scenario file's parameters, which are for the whole run: with ``only``,
    those that only notebooks left out take are left out too (a name no notebook takes is still
    refused). ``parameters`` (``-p``) override them and must each be taken by a notebook built.

    Notebooks run in parallel, ``workers`` at a time (default: one per core, at most one per
    notebook), each in one kernel; a cell that runs longer than ``cell_timeout`` seconds stops
    the build with an error rather than letting it wait for ever.
    """
    if not isinstance(cell_timeout, int) or isinstance(cell_timeout, bool) or cell_timeout < 1:
        raise ParameterError(f"cell timeout must be a whole number of seconds >= 1, got {cell_timeout!r}")
    notebooks = discover_notebooks(notebook_dir)
    if only:
        missing = [name for name in only if name not in notebooks]
        if missing:
            raise ParameterError(f"unknown notebook(s) {', '.join(missing)}; available: {', '.join(notebooks)}")
        if scenario:
            declared = {name: set(declared_parameters(path)) for name, path in notebooks.items()}
            params.refuse_unknown(scenario, set().union(*declared.values()), "the build")
            taken = set().union(*(declared[name] for name in only))
            scenario = {name: value for name, value in scenario.items() if name in taken}
        notebooks = {name: notebooks[name] for name in only}
    resolved, checked = resolve(notebooks, db_path, {**(scenario or {}), **(parameters or {})})
    if run is None:  # the report year; a build of notebooks without one (the e-Boks case) uses this year
        run = str(next((c.year for c in checked.values() if getattr(c, "year", None)), date.today().year))
    final = reports_dir / check_run_name(run)
    if final.exists() and not _written_by_a_build(final):
        raise ParameterError(f"run: {final} exists and was not written by analysis build, so it is not replaced;"
                             " choose another run name")
    record = {name: _comparable(values) for name, values in resolved.items()}
    ids = {name: inputs.scenario_id for name, inputs in checked.items()}
    if only and final.exists():
        recorded, recorded_ids = _check_same_scenario(final, record)
        record, ids = {**recorded, **record}, {**recorded_ids, **ids}
    reports_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{run}.partial-", dir=reports_dir))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a run folder is as shareable as any other
    (staging / BUILD_MARKER).write_text(json.dumps({"note": "Written by analysis build; the next build of this run"
                                                            " replaces it.", "parameters": record, "scenario_ids": ids},
                                                   ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    # Notebooks that write files (the workbook, the Word proposal) write them into the run; of two
    # that write the same file, one, so the run's file does not depend on which finished last.
    jobs = []
    for name, path in notebooks.items():
        values = dict(resolved[name])
        if "output_dir" in values and WRITTEN_BY_ANOTHER.get(name) not in notebooks:
            values["output_dir"] = str(staging)
        jobs.append((path, values))
    try:
        _render_all(jobs, staging, workers, cell_timeout)
        if only and final.exists():  # a partial build replaces its own files and keeps the others
            for path in staging.iterdir():
                os.replace(path, final / path.name)
            staging.rmdir()
        else:
            replace_folder(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # The run register beside the database keeps the proposal's per-unit result after the run
    # folder is replaced, for analysis compare (03's, or else 04's: both use the proposal's rule).
    ranking = next((name for name in ("penalty", "briefing") if name in checked), None)
    if ranking is not None:
        runs.record(checked[ranking].db.path, final.name, checked[ranking], resolved[ranking])
    return sorted(path for path in final.iterdir() if path.name != BUILD_MARKER)


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps({k: v for k, v in values.items() if k not in params.PRESENTATION_PARAMETERS},
                                 default=str))


def scenario_ids(run_folder: Path) -> dict[str, str]:
    """The scenario id of each report in a run folder, as its title block prints it."""
    return json.loads((run_folder / BUILD_MARKER).read_text(encoding="utf-8")).get("scenario_ids", {})


def _check_same_scenario(final: Path, record: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]],
                                                                                    dict[str, str]]:
    """The run folder's recorded parameters and scenario ids, after checking that a partial build into
    it uses the same values for every parameter its notebooks share with the folder's other reports
    (one run folder, one scenario: a briefing for 40 units beside a penalty report for 30 is refused)."""
    try:
        marker = json.loads((final / BUILD_MARKER).read_text(encoding="utf-8"))
        recorded = marker["parameters"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ParameterError(f"run: {final} records no parameters (built by an older version), so a partial"
                             " build cannot be checked against it; build the whole run again") from None
    for name, values in record.items():
        for other, theirs in recorded.items():
            if other == name:
                continue
            for key in sorted(values.keys() & theirs.keys()):
                if values[key] != theirs[key]:
                    raise ParameterError(
                        f"run: {final.name} was built with {key} = {theirs[key]!r} ({other}); building {name} with"
                        f" {key} = {values[key]!r} would put two scenarios in one folder. Build it into another"
                        " run (--run NAME) or build the whole run again with the new value")
    return recorded, marker.get("scenario_ids", {})


def _umask() -> int:
    """The process's umask (read by setting it, so set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _written_by_a_build(folder: Path) -> bool:
    """A run folder of a build: it has the marker, or (built before there was one) holds nothing but
    a build's files."""
    return (folder / BUILD_MARKER).exists() or (folder.is_dir() and all(
        path.is_file() and path.suffix in BUILD_OUTPUTS for path in folder.iterdir()))


def check_run_name(run: str) -> str:
    """A run is a folder name under reports/: letters, digits, '-', '_' and '.', not starting with a
    dot, so that no run name can point outside reports/ (``..``) or at reports/ itself."""
    if not isinstance(run, str) or not re.fullmatch(r"[^\W_][\w.-]{0,99}", run):
        raise ParameterError(f"run: {run!r} is not a plain folder name (letters, digits, '-', '_', '.';"
                             " not starting with '.' and without '/'), such as 2025 or oeu08_2026")
    return run


def _render_all(jobs: list[tuple[Path, dict[str, Any]]], out_dir: Path, workers: int | None,
                cell_timeout: int) -> None:
    """Render the notebooks, ``workers`` at a time, each in a worker process of its own.

    Processes, not threads: papermill changes the process's working directory while a notebook
    runs, and neither that nor WeasyPrint's font stack is safe to share between threads (a
    threaded build hung once on a CI machine). ``spawn`` gives the same behaviour on Linux and
    Windows; each worker imports the report stack once and renders several notebooks.
    """
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    context = multiprocessing.get_context("spawn")
    with tqdm(total=len(jobs), desc="reports", unit="notebook") as progress, \
            ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(render_notebook, path, out_dir, values, cell_timeout) for path, values in jobs]
        try:
            for future in as_completed(futures):
                future.result()  # re-raises a notebook's BuildError here
                progress.update()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def render_notebook(notebook: Path, out_dir: Path, parameters: dict[str, Any],
                    cell_timeout: int = CELL_TIMEOUT) -> list[Path]:
    """Execute one notebook with papermill, then write its HTML and PDF next to it."""
    executed = out_dir / notebook.name
    try:
        papermill.execute_notebook(str(notebook), str(executed), parameters=parameters, kernel_name=KERNEL,
                                   cwd=str(notebook.parent), progress_bar=False,
                                   execution_timeout=cell_timeout, start_timeout=KERNEL_START_TIMEOUT,
                                   skip_cells_with_tag=NOTEBOOK_ONLY_TAG, kernel_manager_class=LocalKernelManager)
    except papermill.PapermillExecutionError as error:
        raise BuildError(
            f"{notebook.name}: cell {error.cell_index} (execution count {error.exec_count}) failed: "
            f"{error.ename}: {error.evalue}"
        ) from None
    except CellTimeoutError:
        raise BuildError(f"{notebook.name}: a cell ran longer than {cell_timeout} s and was stopped "
                         f"(the partly executed notebook is not kept)") from None
    except DeadKernelError as error:
        raise BuildError(f"{notebook.name}: the notebook's kernel failed: {error}") from None
    nb = reproducible(nbformat.read(executed, as_version=4), notebook.name, out_dir)
    nbformat.write(nb, executed)
    html = to_html(nb, title=document_title(nb, notebook.stem))
    html_path = executed.with_suffix(".html")
    html_path.write_text(html, encoding="utf-8")
    pdf_path = executed.with_suffix(".pdf")
    write_pdf(html, pdf_path)
    return [executed, html_path, pdf_path]


def reproducible(nb: nbformat.NotebookNode, name: str, staging: Path) -> nbformat.NotebookNode:
    """The executed notebook without what differs between two runs on the same inputs: papermill's
    and the kernel's timestamps, the staging folder's path (``output_dir``, shown as ".": the
    folder the notebook lies in) and the injected cell's random id. Same
    data, parameters and code then give the same bytes in the notebook, the HTML and the PDF, so a
    checksum can show that a committee's PDF came from them."""
    run = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration"):
        run.pop(key, None)
    run["input_path"], run["output_path"] = name, name
    if run.get("parameters", {}).get("output_dir") == str(staging):
        run["parameters"]["output_dir"] = "."
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            cell.metadata.get("papermill", {}).pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
            cell.source = cell.source.replace(repr(str(staging)), repr(".")).replace(f'"{staging}"', '"."')
    return nb


def document_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The title of the HTML and PDF: the notebook's first heading, not its file name."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return fallback


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """The executed notebook as one self-contained HTML page without code."""
    exporter = HTMLExporter(template_name="briefing", extra_template_basedirs=[str(TEMPLATE_DIR)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    remove = TagRemovePreprocessor(remove_cell_tags={NOTEBOOK_ONLY_TAG}, enabled=True)
    exporter.register_preprocessor(remove, enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def write_pdf(html: str, path: Path) -> None:
    """Render the HTML as an A4 PDF (WeasyPrint: pip-installable, no LaTeX, no browser).

    The embedded fonts are subsets that fontTools stamps with the second they are written (their
    ``head`` table), so two builds of the same inputs gave PDFs differing in a few bytes; with
    SOURCE_DATE_EPOCH (the reproducible-builds convention, which fontTools honours) they carry a
    fixed stamp instead, unless the caller has set one of its own.
    """
    from weasyprint import HTML  # imported here: loading Pango costs time the CLI's other commands don't need

    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    HTML(string=html).write_pdf(path)
