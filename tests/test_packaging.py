"""The project's own files: dependencies in step, notebooks stripped, the two README commands."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from analysis.paths import PROJECT_ROOT

CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge name -> PyPI name, where they differ


def _requirement(text: str) -> tuple[str, str]:
    name, _, version = re.match(r"([A-Za-z0-9_.\-]+)\s*(>=\s*([\w.]+))?", text).groups()
    return CONDA_NAMES.get(name.lower(), name.lower()), version or ""


def test_environment_yml_and_pyproject_list_the_same_dependencies() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pip = dict(map(_requirement, project["dependencies"] + project["optional-dependencies"]["test"]))
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = dict(_requirement(d) for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip")))
    conda.update(_requirement(d) for d in env["dependencies"] if isinstance(d, str) and d.startswith("python-"))
    assert conda == pip


def test_constraints_pin_every_dependency() -> None:
    pinned = {line.split("==")[0].lower() for line in (PROJECT_ROOT / "constraints.txt").read_text().splitlines()
              if "==" in line}
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {_requirement(d)[0] for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    assert needed <= {name.replace("_", "-") for name in pinned} | pinned


STRIP_FIX = ("run 'make setup' once in this clone (it installs nbstripout's git filter, which strips outputs on"
             " git add), or strip them now: .venv/bin/nbstripout notebooks/*.ipynb")


def _git(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True)


def _has_outputs(nb: dict) -> bool:
    return any(cell.get("outputs") or cell.get("execution_count") for cell in nb["cells"] if cell["cell_type"] == "code")


def test_notebooks_are_committed_without_outputs() -> None:
    """What git commits (the index) holds no outputs. A notebook saved with outputs by JupyterLab
    is fine where nbstripout's filter will strip it on git add, and fails with the fix otherwise."""
    in_git = _git("rev-parse", "--is-inside-work-tree").returncode == 0
    filtered = in_git and _git("config", "--get", "filter.nbstripout.clean").stdout.strip() != b""
    for path in sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        staged = _git("show", f":{path.relative_to(PROJECT_ROOT).as_posix()}") if in_git else None
        if staged is not None and staged.returncode == 0:
            assert not _has_outputs(json.loads(staged.stdout)), f"{path.name}: git's index holds outputs; {STRIP_FIX}"
        assert filtered or not _has_outputs(nb), f"{path.name} has outputs and no filter strips them; {STRIP_FIX}"
        tags = [tag for cell in nb["cells"] for tag in cell.get("metadata", {}).get("tags", [])]
        if path.name[:2].isdigit():  # a report notebook
            assert tags.count("parameters") == 1, f"{path.name}: needs exactly one papermill parameters cell"


def test_each_report_notebook_declares_exactly_its_validators_parameters_and_defaults() -> None:
    """The parameters cell, the validator (which the CLI build and the notebook both call) and the
    papermill names are one list: a name in one and not the other would be ignored or refused."""
    import inspect

    import papermill

    from analysis import params

    for path in sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = path.stem[3:]
        declared = {name: value["default"] for name, value in papermill.inspect_notebook(str(path)).items()}
        signature = inspect.signature(params.VALIDATORS[notebook]).parameters
        assert list(declared) == list(signature), path.name
        for name, default in declared.items():
            assert eval(default) == signature[name].default, f"{path.name}: {name} = {default}"  # noqa: S307


@pytest.mark.slow
def test_the_git_filter_make_setup_installs_keeps_outputs_out_of_git(tmp_path: Path) -> None:
    """JupyterLab's autosave writes outputs into the tracked notebook; git add must take it without."""
    import shutil
    import sys

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    source = PROJECT_ROOT / "notebooks" / "01_ehandel_status.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    code = next(cell for cell in nb["cells"] if cell["cell_type"] == "code")
    code["execution_count"] = 3
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["Enhed X: 12,3 %\n"]}]
    _git("init", "-q", cwd=tmp_path)
    (tmp_path / "saved.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    nbstripout = Path(sys.executable).with_name("nbstripout")
    subprocess.run([str(nbstripout), "--install"], cwd=tmp_path, check=True)  # as make setup does
    assert _git("add", "saved.ipynb", cwd=tmp_path).returncode == 0
    staged = json.loads(_git("show", ":saved.ipynb", cwd=tmp_path).stdout)
    assert not _has_outputs(staged) and "12,3 %" not in json.dumps(staged)
    assert [cell["source"] for cell in staged["cells"]] == [cell["source"] for cell in nb["cells"]]
    assert "12,3 %" in (tmp_path / "saved.ipynb").read_text(encoding="utf-8")  # the analyst's own file keeps them


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "make report" in first_block and "make test" in first_block
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_data_readme_documents_every_file_kind_as_the_schema_says() -> None:
    from analysis.ingest.schema import FILE_KINDS, kind_section

    readme = (PROJECT_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for kind in FILE_KINDS:
        assert kind_section(kind) in readme, f"data/README.md: the section of {kind.name} differs from schema.py"


def readme_parameter_tables() -> dict[str, list[tuple[list[str], str]]]:
    """The README's "Parameters of `NN_name`" tables: per notebook file, its rows' names and defaults."""
    tables: dict[str, list[tuple[list[str], str]]] = {}
    current = None
    for line in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"### Parameters of `(\d\d_\w+)`", line):
            current = tables.setdefault(heading.group(1), [])
        elif line.startswith("#"):
            current = None
        elif current is not None and line.startswith("| `"):
            names, default = [cell.strip() for cell in line.strip("|").split(" | ")][:2]
            current.append((re.findall(r"`(\w+)`", names), default))
    return tables


def test_the_readme_documents_every_notebook_parameter_with_its_default() -> None:
    from analysis.report.build import declared_parameters, discover_notebooks

    tables = readme_parameter_tables()
    for path in discover_notebooks().values():
        declared = declared_parameters(path)
        rows = tables[path.stem]
        documented = [name for names, _ in rows for name in names]
        assert sorted(documented) == sorted(declared), path.stem
        for names, default in rows:
            if default.startswith("as "):  # "as above", "as in `03_penalty`": checked where it is given
                continue
            values = [ast.literal_eval(value) for value in re.findall(r"`([^`]*)`", default)]
            values = values * len(names) if len(values) == 1 else values
            assert dict(zip(names, values)) == {name: declared[name] for name in names}, (path.stem, names)
