"""Feedback keeps the hidden tests hidden (autograder/feedback.py) and still says why a test failed.

The tests here are quick: a made-up graded notebook, and the rule that makes shown messages safe.
The feedback of real grading runs is checked where those runs happen, with :func:`check_feedback`:
tests/test_adversarial.py (the adversarial corpus) and tests/test_grading_contract.py (the
reference, the stub and the wrong answers of every chapter), so that no corpus is graded twice.
"""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.feedback import PLACEHOLDER, HideHiddenTests, leaked_lines, visible_text
from autograder.notebooks import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, is_test, normalise, read, source_path


def check_feedback(page: Path, work_root: Path, chapter: str, secrets: set[str]) -> None:
    """One feedback page as the student receives it: no hidden-test or solution line that the
    student did not write themselves, no marker, and for every test cell its verdict and points,
    and the message of its failure."""
    student = page.parent.parent.name
    text = visible_text(page.read_text(encoding="utf-8"))
    flat = normalise(text)
    submitted = work_root / "submitted" / student / chapter / f"{chapter}.ipynb"
    try:
        own = [cell.source for cell in read(submitted).cells]
    except Exception:  # noqa: BLE001 - a submission that is not a notebook wrote nothing of its own
        own = []
    leaked = leaked_lines(page.read_text(encoding="utf-8"), secrets, own)
    assert not leaked, f"{page}: feedback shows hidden-test or solution lines: {leaked[:3]}"
    for marker in (BEGIN_HIDDEN, END_HIDDEN, BEGIN_SOLUTION):
        assert marker not in text or any(marker in source for source in own), f"{page} shows {marker!r}"
    graded = read(work_root / "autograded" / student / chapter / f"{chapter}.ipynb")
    for cell in graded.cells:
        if not is_test(cell):
            continue
        name = cell.metadata.nbgrader.grade_id
        if BEGIN_HIDDEN in cell.source:
            assert PLACEHOLDER in text, f"{page}: {name} lost its placeholder"
        for output in cell.outputs:
            if output.output_type == "error":
                message = normalise(f"{output.ename}: {output.evalue}")[:150]
                assert message in flat, f"{page}: the failure of {name} is not shown ({message!r})"
    assert "[grader] passed" in text or "[grader] failed" in text, f"{page}: no verdict shown"


# ---------------------------------------------------------------- a made-up graded notebook

TEST_SOURCE = "\n".join([
    "x = answer(2)",                                  # 1
    "assert x == 4, f'answer(2) should be 4, got {x}'",  # 2
    "",                                               # 3
    BEGIN_HIDDEN,                                     # 4
    "SECRET_ORACLE_VALUE = 1234567",                  # 5
    "def secret_hidden_helper():",                    # 6
    "    assert answer(3) == 9, 'answer(3) is wrong'",  # 7
    "secret_hidden_helper()",                         # 8
    "SECRET_ORACLE_VALUE",                            # 9
    END_HIDDEN,                                       # 10
])


def _graded_notebook(failing_line: int) -> nbformat.NotebookNode:
    answer = new_code_cell("def answer(n):\n    return n * n if n < 3 else 0", execution_count=1,
                           metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "answer"}})
    test = new_code_cell(TEST_SOURCE, execution_count=2,
                         metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "test_answer",
                                                "points": 2, "score": 0}})
    frames = ["\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
              "\x1b[0;31mAssertionError\x1b[0m                            Traceback (most recent call last)",
              # the line that failed, with the context IPython quotes around it
              f"Cell \x1b[0;32mIn[2], line {failing_line}\x1b[0m\n" + "\n".join(
                  f"{'--->' if n == failing_line else '    '} {n} {line}"
                  for n, line in enumerate(TEST_SOURCE.split("\n"), start=1) if abs(n - failing_line) <= 3),
              "Cell In[2], line 7, in secret_hidden_helper()\n      6 def secret_hidden_helper():\n"
              "----> 7     assert answer(3) == 9, 'answer(3) is wrong'",
              "Cell In[1], line 2, in answer(n)\n      1 def answer(n):\n----> 2     return n * n if n < 3 else 0",
              "AssertionError: answer(3) is wrong"]
    test.outputs = [new_output("stream", name="stdout", text="visible output\n"),
                    new_output("execute_result", data={"text/plain": "1234567"}, execution_count=2),
                    new_output("error", ename="AssertionError", evalue="answer(3) is wrong", traceback=frames)]
    return new_notebook(cells=[new_markdown_cell("# A chapter"), answer, test])


@pytest.mark.parametrize("failing_line", [2, 8])
def test_hidden_lines_leave_the_source_the_outputs_and_the_traceback(failing_line):
    notebook, _ = HideHiddenTests().preprocess(_graded_notebook(failing_line), {})
    page = HTMLExporter().from_notebook_node(notebook)[0]
    text = visible_text(page)
    for secret in ("SECRET_ORACLE_VALUE", "1234567", "secret_hidden_helper", "answer(3) == 9", BEGIN_HIDDEN):
        assert secret not in text, f"the feedback shows {secret!r}"
    assert PLACEHOLDER in text
    assert "answer(2) should be 4" in text, "the visible test stays visible"
    assert "AssertionError: answer(3) is wrong" in text, "the failure's message is shown"
    assert "return n * n if n < 3 else 0" in text, "the student's own frame is kept"
    assert "[grader] failed: 0 / 2 points" in text
    assert "visible output" in text
    if failing_line == 2:
        assert "--->   2 assert x == 4" in text, "the visible failing line is quoted"


def test_the_instructors_notebook_is_left_alone():
    """The preprocessor works on nbgrader's in-memory copy; the autograded file is untouched
    because GenerateFeedback never writes the notebook back (only the HTML)."""
    from autograder.course import base_config

    config = base_config()
    assert HideHiddenTests in config.GenerateFeedback.preprocessors
    assert HideHiddenTests not in config.Autograde.autograde_preprocessors


def test_leaked_lines_sees_through_markup():
    secrets = {normalise("expected = torch.tensor([1.0, 2.0])  # oracle")}
    page = ('<span class="n">expected</span> <span class="o">=</span> torch.tensor([1.0, 2.0])'
            '&nbsp; <span class="c1"># oracle</span>')
    assert leaked_lines(page.replace("&nbsp;", " "), secrets) == sorted(secrets)
    assert leaked_lines(page.replace("&nbsp;", " "), secrets, ["expected = torch.tensor([1.0, 2.0])  # oracle"]) == []


# ---------------------------------------------------------------- the rule that makes messages safe to show


def _hidden_blocks(source: str) -> list[str]:
    blocks, inside, lines = [], False, []
    for line in source.split("\n"):
        if line.strip() == BEGIN_HIDDEN:
            inside, lines = True, []
        elif line.strip() == END_HIDDEN:
            inside = False
            blocks.append("\n".join(lines))
        elif inside:
            lines.append(line)
    return blocks


def test_hidden_tests_print_nothing(chapter_id):
    """Feedback shows a test cell's printed output, so a hidden block prints and displays
    nothing (CONTRIBUTING.md): what it has to say goes into an assertion's message."""
    printing = []
    for cell in read(source_path(chapter_id)).cells:
        if not is_test(cell):
            continue
        for block in _hidden_blocks(cell.source):
            try:
                tree = ast.parse(block)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("print", "display"):
                    printing.append(f"{cell.metadata.nbgrader.grade_id}: line {node.lineno} of the hidden block")
    assert not printing, f"hidden tests that print: {printing}"

