"""The grader survives the adversarial corpus (tests/adversarial/cases.py).

One batch, graded in parallel and sandboxed, as an instructor would: the batch completes,
every submission has a grade row, each attacked exercise scores 0 and the untouched
exercise keeps its points; the feedback of every submission keeps the hidden tests hidden.
Each chapter's forbidden built-in called through ``torch.ops`` scores exactly what its case
says, and a submission stuck in a loop is stopped by its time budget.
"""
from __future__ import annotations

import json

import nbformat
import pytest
from nbgrader.utils import determine_grade

from adversarial.cases import CASES, CHAPTER, OPS_CASES, build, prefix
from autograder import sandbox
from autograder.execute import SandboxedExecute
from autograder.grade import grade_folder
from autograder.notebooks import (
    grade_id, graded_cells_after, is_test, read, reference_submission, secret_lines, source_path,
)
from conftest import CHAPTERS
from test_feedback import check_feedback

pytestmark = pytest.mark.skipif(CHAPTER not in CHAPTERS, reason=f"{CHAPTER} is not in this course")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adversarial")
    reference = json.loads(json.dumps(reference_submission(CHAPTER)))
    other = next(c for c in CHAPTERS if c != CHAPTER)
    other_chapter = json.loads(json.dumps(reference_submission(other)))
    for case in CASES:
        (folder / f"{case.name}.ipynb").write_bytes(build(case, reference, other_chapter))
    (folder / "reference.ipynb").write_bytes(json.dumps(reference).encode())
    (folder / "notes.txt").write_text("not a submission")
    result = grade_folder(CHAPTER, folder, work_dir=tmp_path_factory.mktemp("work"), timeout=20, feedback=True,
                          log=print)
    return result


def _points(notebook, answer):
    return graded_cells_after(notebook, answer)


def test_the_sandbox_is_used():
    assert sandbox.check().available, "bubblewrap must be installed for the corpus (see .ci/run)"


def test_every_submission_has_a_row_and_other_files_are_reported(corpus):
    students = set(corpus.grades["student"])
    assert students == {case.name for case in CASES} | {"reference"}
    assert any("notes.txt" in line for line in corpus.unplaced)


def test_reference_keeps_full_marks_in_the_same_batch(corpus):
    row = corpus.grades.set_index("student").loc["reference"]
    assert row["total"] == row["max"] > 0


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_case(corpus, case):
    notebook = read(source_path(CHAPTER))
    attacked = graded_cells_after(notebook, case.target)
    untouched = graded_cells_after(notebook, case.other)
    row = corpus.grades.set_index("student").loc[case.name]
    max_untouched = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points
                     for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") in untouched}
    assert row["max"] == sum(c.metadata.nbgrader.points for c in notebook.cells
                             if c.metadata.get("nbgrader", {}).get("grade")), "the maximum must not change"
    if case.expect_attacked is not None:
        assert sum(row[name] for name in attacked) == case.expect_attacked, f"{case.name}: {row.to_dict()}"
    if case.expect_untouched == "full":
        assert all(row[name] == max_untouched[name] for name in untouched), f"{case.name}: {row.to_dict()}"
        assert row["status"] == "graded"
    else:
        assert row["total"] == 0, f"{case.name}: {row.to_dict()}"
    if case.reason:
        assert case.reason in row["reason"], row["reason"]
    if case.output:
        graded = corpus.feedback_dir.parent / "autograded" / case.name / CHAPTER / f"{CHAPTER}.ipynb"
        assert case.output in graded.read_text(), f"{case.name}: the graded notebook does not say {case.output!r}"


def test_feedback_of_the_corpus_shows_no_hidden_test_and_every_failure(corpus):
    """Every feedback page of the batch: no line of a hidden test or of a solution that the
    student did not write, and the message of every failed test cell (see tests/test_feedback.py)."""
    secrets = secret_lines([CHAPTER])
    pages = sorted(corpus.feedback_dir.glob(f"*/{CHAPTER}/{CHAPTER}.html"))
    graded = set(corpus.grades.set_index("student").query("status == 'graded'").index)
    assert {page.parent.parent.name for page in pages} == graded, "every graded submission gets feedback"
    for page in pages:
        check_feedback(page, corpus.feedback_dir.parent, CHAPTER, secrets)


@pytest.fixture(scope="module")
def ops_runs():
    """Each case of OPS_CASES, run by the grader's own execution step (sandbox, tamper scan,
    completion tokens) on its chapter up to the attacked exercise's last test cell."""
    runs = {}
    for case in OPS_CASES:
        if case.chapter not in CHAPTERS:
            continue
        notebook = prefix(case, read(source_path(case.chapter)))
        execute = SandboxedExecute(timeout=120, use_sandbox=sandbox.check().available)
        notebook, _ = execute.preprocess(notebook, {})
        runs[case.name] = {grade_id(cell): cell for cell in notebook.cells if is_test(cell)}
    return runs


@pytest.mark.parametrize("case", OPS_CASES, ids=lambda case: case.name)
def test_forbidden_builtin_through_torch_ops(ops_runs, case):
    if case.name not in ops_runs:
        pytest.skip(f"{case.chapter} is not in this course")
    tests = graded_cells_after(read(source_path(case.chapter)), case.answer_id)
    assert set(case.points) == set(tests), f"the case must give the points of every test cell: {tests}"
    cells = ops_runs[case.name]
    got = {name: determine_grade(cells[name])[0] or 0 for name in tests}
    assert got == case.points, f"{case.name}: {got}"
    for name in tests:
        if got[name] == 0 and "forbid(" in cells[name].source:
            errors = [o for o in cells[name].outputs if o.output_type == "error"]
            assert errors, f"{name} failed without an error"


def test_a_forbidden_operator_is_refused_by_name(ops_runs):
    """The refusal names the operator that was called (not a side effect of the attack)."""
    texts = [json.dumps(cell.outputs) for cells in ops_runs.values() for cell in cells.values()]
    assert ops_runs and any("ForbiddenFunctionError" in text and "aten." in text for text in texts)


def test_a_stuck_submission_is_stopped_by_its_time_budget(tmp_path):
    """A stable_softmax that never returns would hold a worker for the per-cell limit once per
    test cell; the submission's budget stops it, the cells left get a reason, and it still has a row."""
    stuck = {"stable_softmax": "def stable_softmax(x, dim=-1):\n    while True:\n        pass\n"}
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(reference_submission(CHAPTER, replace=stuck), folder / "stuck.ipynb")
    result = grade_folder(CHAPTER, folder, work_dir=tmp_path / "work", timeout=600, budget=20, feedback=False,
                          log=print)
    row = result.grades.set_index("student").loc["stuck"]
    assert row["status"] == "graded" and row["total"] == 0, row.to_dict()
    graded = read(result.feedback_dir.parent / "autograded" / "stuck" / CHAPTER / f"{CHAPTER}.ipynb")
    errors = [o for cell in graded.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    names = [error.ename for error in errors]
    assert "CellTimeoutError" not in names, "the per-cell limit (600 s) must not be what stopped it"
    assert any(e.ename == "TimeBudgetExceeded" and "while this cell ran" in e.evalue for e in errors), names
    assert any(e.ename == "TimeBudgetExceeded" and e.evalue.startswith("not run") for e in errors), names
