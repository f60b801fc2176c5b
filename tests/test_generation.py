"""chapters/ is exactly what nbgrader generates from solutions/, and holds nothing secret."""
from __future__ import annotations

import json
import re

import pytest

from autograder.course import fresh_generation
from autograder.notebooks import (
    BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, is_answer, is_test, learner_path, normalise, read,
    secret_lines, source_path, graded_cells_after,
)
from conftest import CHAPTERS, REPO_ROOT

MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    return fresh_generation(tmp_path_factory.mktemp("fresh"))


def test_every_chapter_is_generated():
    generated = sorted(p.parent.name for p in (REPO_ROOT / "chapters").glob("*/*.ipynb"))
    assert generated == CHAPTERS, "chapters/ and solutions/ hold different chapters: run `make chapters`"


def test_chapters_equal_a_fresh_generation(chapter_id, fresh):
    committed = json.loads(learner_path(chapter_id).read_text(encoding="utf-8"))
    regenerated = json.loads(learner_path(chapter_id, fresh).read_text(encoding="utf-8"))
    assert committed == regenerated, f"chapters/{chapter_id} is stale: run `make chapters` and commit"


def test_notebooks_are_committed_without_outputs(chapter_id):
    for path in (source_path(chapter_id), learner_path(chapter_id)):
        for cell in read(path).cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path} has outputs: strip them"


def test_source_notebook_follows_the_template(chapter_id):
    notebook = read(source_path(chapter_id))
    answers = [c for c in notebook.cells if is_answer(c)]
    tests = [c for c in notebook.cells if is_test(c)]
    assert answers, "a chapter needs at least one graded exercise"
    assert len(tests) >= 3, "a chapter needs at least three graded test cells"
    ids = [c.metadata["nbgrader"]["grade_id"] for c in answers + tests]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for grade_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9_]+", grade_id) and not re.fullmatch(r"cell[-_]?\d+", grade_id), grade_id
    for cell in answers:
        assert BEGIN_SOLUTION in cell.source and END_SOLUTION in cell.source
        assert graded_cells_after(notebook, cell.metadata["nbgrader"]["grade_id"]), \
            f"answer cell {cell.metadata['nbgrader']['grade_id']} has no test cell after it"
    for cell in tests:
        meta = cell.metadata["nbgrader"]
        assert meta.get("points", 0) > 0 and meta.get("locked"), f"{meta['grade_id']} must be locked and worth points"
        assert BEGIN_HIDDEN in cell.source, f"{meta['grade_id']} has no hidden tests"
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert "setup_chapter" in first_code.source, "the first code cell prints the profile with setup_chapter()"
    prose = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown").lower()
    for heading in ("objectives", "summary", "further exercises"):
        assert heading in prose, f"{chapter_id} lacks a '{heading}' section"


def _public_files():
    yield from (REPO_ROOT / "chapters").rglob("*.ipynb")
    yield from (REPO_ROOT / "transformer_course").rglob("*.py")


def test_no_marker_or_solution_line_reaches_the_learner_side(chapter_id):
    secrets = secret_lines([chapter_id])
    assert secrets, "expected some distinctive solution lines to look for"
    for path in _public_files():
        text = path.read_text(encoding="utf-8")
        for marker in MARKERS:
            assert marker not in text, f"{path} contains {marker!r}"
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in read(path).cells)
        flat = normalise(text)
        leaked = [line for line in secrets if line in flat]
        assert not leaked, f"{path} contains solution or hidden-test lines: {leaked[:3]}"


def test_reference_answers_pass_the_tamper_scan(chapter_id):
    from autograder.notebooks import grade_id, without_markers
    from autograder.static_checks import imported_names, scan

    cells = read(source_path(chapter_id)).cells
    modules = set().union(*(imported_names(cell.source) for cell in cells if cell.cell_type == "code"))  # as the grader does
    for cell in cells:
        if is_answer(cell):
            findings = scan(without_markers(cell.source), modules)
            assert not findings, f"{grade_id(cell)} would be flagged as tampering: {findings}"


def _code_line(line: str) -> str:
    """A line of code without its trailing comment or any whitespace, so that a copy with other
    comments or spacing still counts as the same line."""
    return re.sub(r"\s+", "", re.sub(r"(^|\s)#.*$", "", line))


def _secret_blocks(chapter_id: str) -> dict[str, set[str]]:
    """The distinctive lines of each answer cell's solution and each test cell's hidden block."""
    from autograder.notebooks import _split, grade_id

    blocks, own_public = {}, set()
    for cell in read(source_path(chapter_id)).cells:
        secret, public = _split(cell.source)
        own_public.update(_code_line(line) for line in public)
        if is_answer(cell) or is_test(cell):
            blocks[grade_id(cell)] = {_code_line(line) for line in secret}
    return {name: {line for line in lines
                   if len(line) >= 12 and re.search(r"[A-Za-z]", line) and line not in own_public}
            for name, lines in blocks.items()}


SHARED_LINE_LIMIT = 3


def _answers_in(text: str, skip: str | None = None) -> list[str]:
    """Every chapter's (but ``skip``'s) answer or hidden-test block of which ``text`` holds three or more lines."""
    public = {_code_line(line) for line in text.splitlines()}
    found = []
    for chapter in CHAPTERS:
        if chapter == skip:
            continue
        for block, lines in _secret_blocks(chapter).items():
            shown = sorted(lines & public)
            if len(shown) >= SHARED_LINE_LIMIT:
                found.append(f"{chapter}/{block}: {len(shown)} lines, e.g. {shown[:3]}")
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_chapter_hands_out_another_chapters_answer(chapter):
    """A learner notebook never shows, as given code, three or more lines of another chapter's
    graded answer or hidden tests: the book and chapters/ are published together."""
    notebook = "\n".join(cell.source for cell in read(learner_path(chapter)).cells)
    handed_out = _answers_in(notebook, skip=chapter)
    assert not handed_out, f"chapters/{chapter} shows another chapter's answer:\n" + "\n".join(handed_out)


@pytest.mark.parametrize("module", sorted(p.relative_to(REPO_ROOT / "transformer_course").as_posix()
                                           for p in (REPO_ROOT / "transformer_course").rglob("*.py")))
def test_the_helper_package_hands_out_no_answer(module):
    """The helper package ships with the learner notebooks: no module of it may hold three or more
    lines of any chapter's graded answer or hidden tests (chapter 08's and 09's shared BERT code
    is built on ``transformers``, not on an answer)."""
    handed_out = _answers_in((REPO_ROOT / "transformer_course" / module).read_text(encoding="utf-8"))
    assert not handed_out, f"transformer_course/{module} holds a chapter's answer:\n" + "\n".join(handed_out)


def test_the_answer_scan_sees_a_planted_copy():
    """The scan is not vacuous: three lines of a real answer pasted into a module, re-indented and
    with other comments, are found."""
    from autograder.notebooks import _split, grade_id

    cell = next(c for c in read(source_path("05_block")).cells if is_answer(c))
    secret, _ = _split(cell.source)
    lines = [line for line in secret if len(_code_line(line)) >= 12 and "=" in line][:SHARED_LINE_LIMIT]
    module = "def helper(x):\n" + "\n".join("        " + line.strip() + "  # a comment of mine" for line in lines)
    assert any(found.startswith(f"05_block/{grade_id(cell)}") for found in _answers_in(module))
