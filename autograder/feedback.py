"""Feedback that keeps the hidden tests hidden.

nbgrader renders a student's feedback from the autograded notebook, in which the hidden tests
have been restored, so by default every feedback page publishes them. :class:`HideHiddenTests`
runs in nbgrader's feedback step (``GenerateFeedback.preprocessors``, see ``nbgrader_config.py``)
on the copy that becomes the HTML, never on the instructor's autograded notebook, and:

* replaces every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block by one line,
  ``# hidden tests: not shown``;
* drops a test cell's ``execute_result`` (the hidden block ends the cell, so that value is the
  hidden block's last expression);
* rewrites each traceback so that no frame quotes a line of a test cell's hidden block: a frame
  in a test cell shows only its visible lines, and the line number alone where the error was
  raised inside the hidden block; frames in the student's own cells and in library files are
  kept, and so are the exception's type and message (the assertion text the test author wrote
  to be shown, see CONTRIBUTING.md);
* opens every test cell's output with a line that says whether it passed and its points.

:func:`visible_text` and :func:`leaked_lines` check a rendered page: they are what the tests use.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from .notebooks import BEGIN_HIDDEN, END_HIDDEN, normalise

PLACEHOLDER = "# hidden tests: not shown"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"^\s*Cell In\[(\d+)\], line (\d+)(.*)$")


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and bool(_meta(cell).get("grade")) and not _meta(cell).get("solution")


def hidden_line_numbers(source: str) -> set[int]:
    """1-based numbers of the lines of ``source`` in a hidden-test block, markers included.

    An unclosed block runs to the end of the cell.
    """
    hidden, inside = set(), False
    for number, line in enumerate(source.split("\n"), start=1):
        if line.strip() == BEGIN_HIDDEN:
            inside = True
        if inside:
            hidden.add(number)
        if line.strip() == END_HIDDEN:
            inside = False
    return hidden


def without_hidden_tests(source: str) -> str:
    """``source`` with each hidden-test block replaced by :data:`PLACEHOLDER`."""
    kept, inside = [], False
    for line in source.split("\n"):
        if line.strip() == BEGIN_HIDDEN:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            kept.append(indent + PLACEHOLDER)
        elif not inside:
            kept.append(line)
        if line.strip() == END_HIDDEN:
            inside = False
    return "\n".join(kept)


def _frame_in_test_cell(source: str, number: int, header: str, context: int = 3) -> str:
    """A traceback frame in a test cell, quoting only lines outside its hidden blocks."""
    lines = source.split("\n")
    hidden = hidden_line_numbers(source)
    if number in hidden or not 1 <= number <= len(lines):
        # not even the header's "in <function>(...)": a function of the hidden tests is hidden too
        return f"{header.split(', in ', 1)[0]}: in the hidden tests (not shown)\n"
    shown = []
    for at in range(max(1, number - context), min(len(lines), number + context) + 1):
        if at in hidden:
            if at > number:
                break
            continue
        arrow = "--->" if at == number else "    "
        shown.append(f"{arrow} {at:>3} {lines[at - 1]}")
    return header + "\n" + "\n".join(shown) + "\n"


def safe_traceback(traceback: list[str], cells_by_count: dict[int, list[NotebookNode]]) -> list[str]:
    """The frames of an IPython traceback, with no line of a hidden-test block quoted.

    ``cells_by_count`` maps an execution count to the cells that ran with it. A frame in a
    cell that is not known for certain to be an ordinary cell (an execution count that two
    cells share after a kernel restart, or none) keeps its header only.
    """
    safe = []
    for frame in traceback:
        plain = _ANSI.sub("", frame)
        first = plain.lstrip("\n").split("\n", 1)[0]
        match = _CELL_FRAME.match(first)
        if not match:
            safe.append(frame)  # a library file's frame, the header, or the exception line
            continue
        header = first.strip()
        cells = cells_by_count.get(int(match[1]), [])
        if len(cells) != 1:
            safe.append(f"{header.split(', in ', 1)[0]}: code not shown\n")
        elif _is_test(cells[0]) or hidden_line_numbers(cells[0].source):
            safe.append(_frame_in_test_cell(cells[0].source, int(match[2]), header))
        else:
            safe.append(frame)  # the student's own code (or a given cell): worth seeing
    return safe


def _status_line(cell) -> NotebookNode:
    meta = _meta(cell)
    score, points = meta.get("score"), meta.get("points")
    if score is None or points is None:
        text = "[grader] not graded\n"
    else:
        verdict = "passed" if float(score) >= float(points) else "failed"
        text = f"[grader] {verdict}: {float(score):g} / {float(points):g} points\n"
    return new_output("stream", name="stdout", text=text)


class HideHiddenTests(NbGraderPreprocessor):
    """Removes the hidden tests from the copy of the graded notebook that becomes feedback."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        counts: dict[int, list[NotebookNode]] = {}
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("execution_count") is not None:
                counts.setdefault(int(cell.execution_count), []).append(cell)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            test = _is_test(cell)
            hidden = bool(hidden_line_numbers(cell.source))
            outputs = []
            for output in cell.get("outputs", []):
                if output.output_type == "execute_result" and (test or hidden):
                    continue
                if output.output_type == "error":
                    output.traceback = safe_traceback(list(output.get("traceback", [])), counts)
                outputs.append(output)
            if test:
                outputs.insert(0, _status_line(cell))
            cell.outputs = outputs
            if hidden:
                cell.source = without_hidden_tests(cell.source)
        return nb, resources


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """The text a reader of an HTML page sees (tags, scripts and styles removed, entities decoded)."""
    parser = _Text()
    parser.feed(page)
    parser.close()
    return html.unescape("".join(parser.parts))


def leaked_lines(page: str, secrets: set[str], own_sources: list[str] = ()) -> list[str]:
    """The secret lines (normalised, see :func:`autograder.notebooks.secret_lines`) that a
    feedback page shows, apart from those the student wrote themselves in ``own_sources``."""
    own = normalise("\n".join(own_sources))
    flat = normalise(visible_text(page))
    return sorted(line for line in secrets if line in flat and line not in own)
