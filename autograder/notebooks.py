"""Reading the course notebooks: answer cells, test cells, and what must stay secret."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .course import REPO_ROOT

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def source_path(chapter_id: str, root: Path = REPO_ROOT) -> Path:
    return root / "solutions" / chapter_id / f"{chapter_id}.ipynb"


def learner_path(chapter_id: str, root: Path = REPO_ROOT) -> Path:
    return root / "chapters" / chapter_id / f"{chapter_id}.ipynb"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell) -> bool:
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_test(cell) -> bool:
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("grade"))


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def graded_cells_after(notebook, answer_id: str) -> list[str]:
    """grade_ids of the test cells between an answer cell and the next answer cell."""
    ids, inside = [], False
    for cell in notebook.cells:
        if is_answer(cell):
            inside = grade_id(cell) == answer_id
        elif inside and is_test(cell):
            ids.append(grade_id(cell))
    return ids


def without_markers(source: str) -> str:
    """A solution cell as a learner would write it: the marker lines removed."""
    return "\n".join(line for line in source.split("\n")
                     if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))


def reference_submission(chapter_id: str, root: Path = REPO_ROOT,
                         replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The learner notebook with each answer cell filled in from the reference solution.

    ``replace`` maps an answer cell's grade_id to other source (a wrong answer, say).
    """
    solutions = {grade_id(c): c.source for c in read(source_path(chapter_id, root)).cells if is_answer(c)}
    notebook = read(learner_path(chapter_id, root))
    replace = replace or {}
    unknown = set(replace) - set(solutions)
    if unknown:
        raise KeyError(f"{chapter_id} has no answer cells {sorted(unknown)}")
    for cell in notebook.cells:
        if is_answer(cell):
            cell.source = replace.get(grade_id(cell), without_markers(solutions[grade_id(cell)]))
    return notebook


def _split(source: str) -> tuple[list[str], list[str]]:
    """(secret lines, public lines) of a cell: inside or outside solution/hidden blocks."""
    secret, public, inside = [], [], False
    for line in source.split("\n"):
        if line.strip() in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            inside = True
        elif line.strip() in (END_SOLUTION, END_HIDDEN):
            inside = False
        else:
            (secret if inside else public).append(line)
    return secret, public


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# Lines that hidden tests and public code both need and that reveal nothing.
GENERIC_LINES = {"if torch.cuda.is_available():"}


def _parts(chapter_id: str, root: Path) -> tuple[set[str], set[str]]:
    secret, public = set(), set()
    for cell in read(source_path(chapter_id, root)).cells:
        hidden, visible = _split(cell.source)
        secret.update(normalise(line) for line in hidden)
        public.update(normalise(line) for line in visible)
    return secret, public


def secret_lines(chapter_ids: list[str], root: Path = REPO_ROOT, min_length: int = 16) -> set[str]:
    """Distinctive lines of the chapters' solutions and hidden tests (whitespace-normalised).

    A line that also appears (even as part of a line) in the public part of any chapter is
    not a secret, and very short lines (``return x``) say nothing: both are left out.
    """
    from .course import chapter_ids as all_chapters

    secret, public = set(), set()
    for chapter_id in all_chapters(root):
        chapter_secret, chapter_public = _parts(chapter_id, root)
        public |= chapter_public
        if chapter_id in chapter_ids:
            secret |= chapter_secret
    public_text = "\n".join(public)
    return {line for line in secret
            if len(line) >= min_length and not line.startswith("#") and re.search(r"[A-Za-z]", line)
            and line not in public_text and line not in GENERIC_LINES}
