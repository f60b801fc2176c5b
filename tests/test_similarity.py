"""The similarity report: a copied answer with renamed variables and new layout is ranked first
among independent answers (the wrong answers and the reference of chapter 00), which score low;
the given stub alone makes no pair alike."""
from __future__ import annotations

import re

import nbformat
import pytest

from autograder import engine, similarity
from autograder.notebooks import is_answer, grade_id, learner_path, read, reference_submission
from conftest import CHAPTERS, WRONG_ANSWERS

CHAPTER = "00_welcome"
pytestmark = pytest.mark.skipif(CHAPTER not in CHAPTERS, reason=f"{CHAPTER} is not in this course")


def _disguise(source: str) -> str:
    """What a student hiding a copy might do: rename the variables, re-indent, add comments."""
    for old, new in [("total", "denominator"), ("m", "shift"), ("e", "numerator"), ("out", "result"),
                     ("finite", "ok_values"), ("x", "inputs")]:
        source = re.sub(rf"\b{old}\b", new, source)
    return "\n".join(line.replace("    ", "  ") + ("  # my own idea" if line.strip().startswith("return") else "")
                     for line in source.split("\n"))


@pytest.fixture
def class_folder(tmp_path):
    """Seven independent submissions (each a different pair of wrong answers), the reference,
    an untouched stub, a broken file, and 'copycat', a disguised copy of 'student3'."""
    softmax = sorted((WRONG_ANSWERS / CHAPTER).glob("stable_softmax__*.py"))
    lse = sorted((WRONG_ANSWERS / CHAPTER).glob("log_sum_exp__*.py"))
    incoming = tmp_path / "in"
    incoming.mkdir()
    notebooks = {f"student{i}": reference_submission(CHAPTER, replace={
        "stable_softmax": softmax[i].read_text(), "log_sum_exp": lse[i].read_text()}) for i in range(7)}
    notebooks["reference"] = reference_submission(CHAPTER)
    notebooks["stub"] = read(learner_path(CHAPTER))
    copied = {grade_id(c): _disguise(c.source) for c in notebooks["student3"].cells if is_answer(c)}
    notebooks["copycat"] = reference_submission(CHAPTER, replace=copied)
    for student, notebook in notebooks.items():
        nbformat.write(notebook, str(incoming / f"{student}.ipynb"))
    (incoming / "broken.ipynb").write_text("{not json")
    folder = engine.ClassFolder(tmp_path / "class")
    engine.import_submissions(CHAPTER, incoming, folder, echo=None)
    return folder


def test_a_disguised_copy_is_ranked_first_and_independent_answers_score_low(class_folder):
    path, pairs = similarity.report(CHAPTER, class_folder, top=5)
    first = pairs[0]
    assert {first.a, first.b} == {"copycat", "student3"} and first.score > 0.9
    rest = [pair.score for pair in pairs[1:]]
    assert len(rest) == 9 * 10 // 2 - 1, "every pair of the ten readable submissions is compared"
    assert max(rest) < 0.4, sorted(rest)[-3:]
    assert all(pair.score == 0.0 for pair in pairs if "stub" in (pair.a, pair.b)), "the given stub is not a match"

    page = path.read_text()
    assert "not a finding" in page and "broken: not compared: not a readable notebook" in page
    # Side by side: both versions of each matching answer, with the matching lines marked.
    section = page.split('<h2 id="pair1">')[1].split("<h2")[0]
    assert "stable_softmax" in section and "log_sum_exp" in section
    assert section.count('class="match"') >= 10
    assert "numerator = torch.exp(inputs - shift)" in section and "e = torch.exp(x - m)" not in page.split("<h2")[0]


def test_names_and_layout_do_not_matter_but_code_does():
    tokens = similarity.normalised_tokens
    assert [t for t, _ in tokens("a = b + 1  # note\n")] == [t for t, _ in tokens("x=y+2\n")]
    assert [t for t, _ in tokens("y = torch.exp(x)\n")] != [t for t, _ in tokens("y = torch.log(x)\n")]
    assert [t for t, _ in tokens("def f(x):\n    return x\n")] != [t for t, _ in tokens("def f(x):\n    yield x\n")]
    assert tokens("def broken(:\n") is not None  # code that does not parse gives what it can, no error
