"""Build chapter notebooks from Python: cells with the nbgrader metadata the course uses.

A notebook in ``solutions/`` is the source of truth; this module only saves typing
when writing one from a script::

    from tools.nbauthor import md, code, answer, tests, write_notebook
    write_notebook("solutions/00_welcome/00_welcome.ipynb", [
        md("# Welcome"),
        code("import torch"),
        answer("softmax_stable", "def stable_softmax(x, dim=-1):\n    ### BEGIN SOLUTION\n    ...\n    ### END SOLUTION"),
        tests("test_softmax_basic", 2, "assert ...\n### BEGIN HIDDEN TESTS\n...\n### END HIDDEN TESTS"),
    ])

Cell ids are derived from the grade id (graded cells) or the position, so a rewrite
produces a small diff. Outputs are never saved.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

SCHEMA_VERSION = 3
_GRADE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _strip(text: str) -> str:
    return text.strip("\n")


def md(text: str, *, tags: list[str] | None = None):
    cell = nbformat.v4.new_markdown_cell(_strip(text))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def code(source: str, *, tags: list[str] | None = None):
    cell = nbformat.v4.new_code_cell(_strip(source))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _nbgrader(grade_id: str, *, solution: bool, grade: bool, locked: bool, points: float | None = None) -> dict:
    if not _GRADE_ID.match(grade_id):
        raise ValueError(f"grade_id {grade_id!r} should be lower_snake_case and descriptive")
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def answer(grade_id: str, source: str):
    """An autograded answer cell: the code between ### BEGIN/END SOLUTION becomes a stub."""
    if "### BEGIN SOLUTION" not in source or "### END SOLUTION" not in source:
        raise ValueError(f"answer cell {grade_id} needs ### BEGIN SOLUTION / ### END SOLUTION markers")
    cell = code(source)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True, grade=False, locked=False)
    return cell


def tests(grade_id: str, points: float, source: str):
    """A locked, graded test cell; hidden tests go between ### BEGIN/END HIDDEN TESTS."""
    if points <= 0:
        raise ValueError("a test cell must be worth points")
    cell = code(source)
    cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=False, grade=True, locked=True, points=points)
    return cell


def write_notebook(path: str | Path, cells: list, *, title: str | None = None) -> Path:
    """Save the cells as an output-free notebook with a Python 3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    if title:
        nb.metadata["title"] = title
    seen = set()
    for index, cell in enumerate(cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell_id = grade_id.replace("_", "-") if grade_id else f"cell-{index:03d}"
        if cell_id in seen:
            raise ValueError(f"duplicate grade_id {grade_id!r}")
        seen.add(cell_id)
        cell["id"] = cell_id
    nb.cells = cells
    nbformat.validate(nb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path
