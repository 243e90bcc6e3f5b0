"""The notebooks' code, read without running it (the builds that run it are slow tests)."""

from __future__ import annotations

import ast
import builtins
import json
from pathlib import Path

import pytest

from analysis.paths import NOTEBOOK_DIR

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IPYTHON_NAMES = {"In", "Out", "get_ipython", "display"}


def code(path: Path) -> str:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")


def undefined_names(source: str) -> set[str]:
    """Names a notebook reads that none of its cells defines (import, assignment, def, argument,
    loop, with, except) and that are no builtins: a NameError waiting in a cell."""
    tree = ast.parse(source)
    defined = set(dir(builtins)) | IPYTHON_NAMES
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            defined.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return used - defined


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_every_name_a_notebook_reads_is_defined_in_it(path: Path) -> None:
    assert undefined_names(code(path)) == set(), f"{path.name}: names no cell defines"


def test_the_check_finds_a_module_used_under_its_old_name() -> None:
    """A cell that calls report.x after the module was imported as blocks (as after a rename)."""
    assert undefined_names("from analysis.report import blocks\nblocks.title()\nreport.escape('x')\n") == {"report"}
    assert undefined_names("for x in range(3):\n    print(x)\nf = lambda y: y\n") == set()
