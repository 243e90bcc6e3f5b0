"""The project's own files: dependencies in step, notebooks stripped, the two README commands."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

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


def test_notebooks_are_committed_without_outputs() -> None:
    for path in sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert all(not cell.get("outputs") and not cell.get("execution_count")
                   for cell in nb["cells"] if cell["cell_type"] == "code"), path.name
        tags = [tag for cell in nb["cells"] for tag in cell.get("metadata", {}).get("tags", [])]
        if path.name[:2].isdigit():  # a report notebook
            assert tags.count("parameters") == 1, f"{path.name}: needs exactly one papermill parameters cell"


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
