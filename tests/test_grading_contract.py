"""The grading contract, for every chapter.

* The reference answers placed into the learner notebook earn full marks.
* The untouched learner notebook earns zero, and still gets a grade row.
* Each plausible wrong answer in tests/wrong_answers/<id>/ loses points on the test
  cells that follow its answer cell, and on no other exercise's cells.
* The feedback of every graded submission shows no hidden-test or solution line.

The first two, and one wrong answer per exercise, go through the real grading command
(nbgrader autograde, hidden tests restored). Every wrong answer is also checked on its
own in one live kernel, which is how the hidden tests see it, but in seconds.
"""
from __future__ import annotations

import copy
import warnings

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbgrader.utils import determine_grade

from autograder.grade import grade_folder
from autograder.notebooks import (
    grade_id, is_answer, is_test, learner_path, read, reference_submission, source_path, graded_cells_after,
)
from conftest import CHAPTERS, answer_id_of, wrong_answers


class GradedChapters:
    """Grades reference, stub and one all-wrong submission of a chapter, once, when first asked."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.results = {}
        self.feedback_dirs = {}

    def __getitem__(self, chapter_id):
        if chapter_id not in self.results:
            self.results[chapter_id] = self._grade(chapter_id)
        return self.results[chapter_id]

    def _grade(self, chapter_id):
        folder = self.tmp.mktemp(f"submissions_{chapter_id}")
        nbformat.write(reference_submission(chapter_id), folder / "reference.ipynb")
        nbformat.write(read(learner_path(chapter_id)), folder / "stub.ipynb")
        first_wrong = {}
        for path in wrong_answers(chapter_id):
            first_wrong.setdefault(answer_id_of(path), path.read_text(encoding="utf-8"))
        if first_wrong:
            nbformat.write(reference_submission(chapter_id, replace=first_wrong), folder / "all_wrong.ipynb")
        result = grade_folder(chapter_id, folder, work_dir=self.tmp.mktemp(f"work_{chapter_id}"),
                              feedback=True, log=lambda line: None)
        self.feedback_dirs[chapter_id] = result.feedback_dir
        return result.grades.set_index("student"), first_wrong


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)
    return GradedChapters(tmp_path_factory)


def _run(client, cell, index) -> nbformat.NotebookNode:
    cell = copy.deepcopy(cell)
    try:
        client.execute_cell(cell, index, store_history=False)
    except (CellExecutionError, CellTimeoutError):
        pass
    return cell


class WrongAnswerRuns:
    """Runs every wrong answer of a chapter in one live kernel, once, when first asked.

    For each wrong answer it records the score of every test cell after its answer cell: the
    cells of its own exercise (up to the next answer cell) and those of every later exercise,
    which run against the reference answers except where they call the wrong one.
    """

    def __init__(self):
        self.results = {}

    def __getitem__(self, chapter):
        if chapter not in self.results:
            self.results[chapter] = self._run_all(chapter)
        return self.results[chapter]

    @staticmethod
    def _run_all(chapter):
        notebook = read(source_path(chapter))
        originals = copy.deepcopy(notebook.cells)  # nbclient writes each executed cell back into the notebook
        files = wrong_answers(chapter)
        assert files, f"no wrong answers in tests/wrong_answers/{chapter}/"
        order = [grade_id(c) for c in originals if is_answer(c) or is_test(c)]
        index_of = {grade_id(c): i for i, c in enumerate(originals) if is_answer(c) or is_test(c)}
        client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=False,
                                resources={"metadata": {"path": str(source_path(chapter).parent)}})
        runs = {}
        with client.setup_kernel():
            for index, cell in enumerate(originals):
                if cell.cell_type == "code":
                    client.execute_cell(copy.deepcopy(cell), index)
            for path in files:
                answer = answer_id_of(path)
                assert answer in index_of, f"{path.name}: {chapter} has no answer cell {answer!r}"
                wrong = copy.deepcopy(originals[index_of[answer]])
                wrong.source = path.read_text(encoding="utf-8")
                _run(client, wrong, index_of[answer])
                later_tests = [name for name in order[order.index(answer) + 1:] if is_test(originals[index_of[name]])]
                scores = {}
                for test in later_tests:
                    executed = _run(client, originals[index_of[test]], index_of[test])
                    scores[test] = determine_grade(executed)
                runs[path.name] = (answer, scores)
                client.execute_cell(copy.deepcopy(originals[index_of[answer]]), index_of[answer])  # the reference again
        return notebook, runs


@pytest.fixture(scope="module")
def wrong_answer_runs():
    return WrongAnswerRuns()


class ChapterContract:
    """The contract's tests for one chapter (``chapter_id``); one subclass per chapter below.

    A class per chapter, not one parametrised function, so that ``pytest-xdist --dist loadscope``
    (``make test``) can give different chapters to different workers: each class stays whole in
    one worker, which grades its chapter once (the module-scoped fixtures cache by chapter)."""

    chapter_id: str

    def test_reference_earns_full_marks(self, graded):
        grades, _ = graded[self.chapter_id]
        row = grades.loc["reference"]
        lost = [name for name in grades.columns[:-4] if row[name] == 0]
        assert row["status"] == "graded"
        assert row["total"] == row["max"] > 0, f"reference solution lost points on {lost}"

    def test_feedback_keeps_hidden_tests_hidden(self, graded):
        """The feedback of the reference, the stub and the wrong answers (see tests/test_feedback.py)."""
        from autograder.notebooks import secret_lines
        from test_feedback import check_feedback

        grades, _ = graded[self.chapter_id]
        feedback_dir = graded.feedback_dirs[self.chapter_id]
        pages = sorted(feedback_dir.glob(f"*/{self.chapter_id}/{self.chapter_id}.html"))
        assert {page.parent.parent.name for page in pages} == set(grades.index), "every submission gets feedback"
        secrets = secret_lines([self.chapter_id])
        for page in pages:
            check_feedback(page, feedback_dir.parent, self.chapter_id, secrets)

    def test_untouched_learner_notebook_earns_zero(self, graded):
        grades, _ = graded[self.chapter_id]
        row = grades.loc["stub"]
        assert row["status"] == "graded" and row["max"] > 0
        assert row["total"] == 0, f"the stub earns points: {row[row != 0].to_dict()}"

    def test_one_wrong_answer_per_exercise_loses_its_points(self, graded):
        grades, first_wrong = graded[self.chapter_id]
        notebook = read(source_path(self.chapter_id))
        answers = [grade_id(c) for c in notebook.cells if is_answer(c)]
        assert set(first_wrong) == set(answers), \
            f"every answer cell needs wrong answers in tests/wrong_answers/{self.chapter_id}/; missing {set(answers) - set(first_wrong)}"
        row = grades.loc["all_wrong"]
        for answer in answers:
            tests = graded_cells_after(notebook, answer)
            assert any(row[name] == 0 for name in tests), f"a wrong {answer} kept all its points on {tests}"

    def test_every_wrong_answer_fails_a_hidden_test(self, wrong_answer_runs):
        notebook, runs = wrong_answer_runs[self.chapter_id]
        survivors = []
        for name, (answer, scores) in runs.items():
            own = graded_cells_after(notebook, answer)
            if all(scores[test][0] and scores[test][0] > 0 for test in own):
                survivors.append(f"{name} passes {sorted(own)}")
        assert not survivors, "wrong answers that keep their points:\n" + "\n".join(survivors)

    def test_wrong_answers_cost_only_their_own_exercise(self, wrong_answer_runs):
        """One bug costs the points of its own exercise and no others: every later exercise is
        tested in a way that does not depend on the learner's earlier answers (a PyTorch stand-in,
        or the reference built by the hidden test)."""
        notebook, runs = wrong_answer_runs[self.chapter_id]
        collateral = []
        for name, (answer, scores) in runs.items():
            own = set(graded_cells_after(notebook, answer))
            lost = sorted(test for test, (score, maximum) in scores.items()
                          if test not in own and (score or 0) < maximum)
            if lost:
                collateral.append(f"{name} also loses points on {lost}")
        assert not collateral, "wrong answers that cost other exercises' points:\n" + "\n".join(collateral)


for _chapter in CHAPTERS:
    _name = "TestContract_" + _chapter
    globals()[_name] = type(_name, (ChapterContract,), {"chapter_id": _chapter})
