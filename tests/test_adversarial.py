"""The grader survives the adversarial corpus (tests/adversarial/cases.py).

One batch, graded in parallel and sandboxed, as an instructor would: the batch completes,
every submission has a grade row, each attacked exercise scores 0 and the untouched
exercise keeps its points.
"""
from __future__ import annotations

import json

import pytest

from adversarial.cases import ATTACKED, CASES, CHAPTER, UNTOUCHED, build
from autograder import sandbox
from autograder.grade import grade_folder
from autograder.notebooks import graded_cells_after, read, reference_submission, source_path
from conftest import CHAPTERS

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
    result = grade_folder(CHAPTER, folder, work_dir=tmp_path_factory.mktemp("work"), timeout=20, feedback=False,
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
    attacked = graded_cells_after(notebook, ATTACKED)
    untouched = graded_cells_after(notebook, UNTOUCHED)
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
