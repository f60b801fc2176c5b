"""Pairs of submissions whose answer cells are unusually alike: a report for the instructor.

Each answer cell is read as Python tokens and normalised: comments, blank lines and layout
are dropped, every string becomes ``S`` and every number ``D``, and every name becomes ``V``
except keywords, built-ins, a few module names and attribute names (``torch.exp`` stays
``torch.exp``, ``scores`` and ``logits`` both become ``V``), so renaming variables or
reformatting changes nothing. Runs of ``K`` tokens are hashed and winnowed (the smallest hash
of every ``W`` consecutive ones is kept; Schleimer, Wilkerson and Aiken, "Winnowing: local
algorithms for document fingerprinting", SIGMOD 2003), per answer cell. Fingerprints of the
given stub, and those that most of the class shares, are left out. A pair's score is the
share of their fingerprints that they have in common (Jaccard).

The report ranks pairs; it does not judge them. Short exercises have few natural solutions.
"""
from __future__ import annotations

import builtins
import hashlib
import html
import io
import json
import keyword
import tokenize
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import nbformat

from .notebooks import grade_id, is_answer, learner_path

K = 10                  # tokens per hashed run
W = 4                   # window of the winnowing
COMMON_SHARE = 0.5      # a fingerprint in more than this share of the class (of 4 or more) is an idiom
KEPT_NAMES = set(dir(builtins)) | {"torch", "nn", "F", "math", "np", "numpy", "self", "cls"}
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER, tokenize.TYPE_COMMENT}


def normalised_tokens(source: str) -> list[tuple[str, int]]:
    """(normalised token, line) of a cell's Python code; stops quietly where the code stops parsing."""
    lines = [line for line in source.split("\n") if not line.lstrip().startswith(("%", "!"))]  # IPython magics
    found: list[tuple[str, int]] = []
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type in SKIPPED:
                continue
            text = token.string
            if token.type == tokenize.NAME and not keyword.iskeyword(text) and previous != "." and \
                    text not in KEPT_NAMES:
                text = "V"
            elif token.type == tokenize.STRING:
                text = "S"
            elif token.type == tokenize.NUMBER:
                text = "D"
            elif token.type == tokenize.NEWLINE:
                text = ";"
            elif token.type == tokenize.INDENT:
                text = "{"
            elif token.type == tokenize.DEDENT:
                text = "}"
            found.append((text, token.start[0]))
            previous = token.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return found


def _hashes(cell: str, tokens: list[tuple[str, int]]) -> list[tuple[int, int, int]]:
    """(hash, first line, last line) of every run of K tokens."""
    runs = []
    for start in range(len(tokens) - K + 1):
        window = tokens[start:start + K]
        text = cell + "\0" + " ".join(text for text, _ in window)
        value = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        runs.append((value, window[0][1], window[-1][1]))
    return runs


def winnow(runs: list[tuple[int, int, int]]) -> dict[int, set[int]]:
    """The winnowed fingerprints: hash -> the lines it covers."""
    chosen: dict[int, set[int]] = {}
    if not runs:
        return chosen
    for start in range(max(1, len(runs) - W + 1)):
        window = runs[start:start + W]
        value, first, last = min(reversed(window), key=lambda run: run[0])  # rightmost of equal minima
        chosen.setdefault(value, set()).update(range(first, last + 1))
    return chosen


@dataclass
class Submission:
    student: str
    cells: dict[str, str] = field(default_factory=dict)                 # grade_id -> source
    prints: dict[int, tuple[str, set[int]]] = field(default_factory=dict)  # hash -> (grade_id, lines)
    problem: str = ""


@dataclass
class Pair:
    a: str
    b: str
    score: float
    shared: int
    lines: dict[str, tuple[set[int], set[int]]]  # grade_id -> (lines of a, lines of b) that match


def _answers(notebook) -> dict[str, str]:
    return {grade_id(cell): cell.source for cell in notebook.cells if cell.cell_type == "code" and is_answer(cell)}


def _load(path: Path, student: str, stub_hashes: set[int]) -> Submission:
    submission = Submission(student)
    try:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        submission.cells = _answers(notebook)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, AttributeError, KeyError) as error:
        submission.problem = f"not compared: not a readable notebook ({type(error).__name__})"
        return submission
    for cell, source in submission.cells.items():
        for value, lines in winnow(_hashes(cell, normalised_tokens(source))).items():
            if value not in stub_hashes:
                submission.prints[value] = (cell, lines)
    return submission


def compare(submissions: list[Submission]) -> list[Pair]:
    """Every pair of submissions, the most alike first."""
    counts: dict[int, int] = {}
    for submission in submissions:
        for value in submission.prints:
            counts[value] = counts.get(value, 0) + 1
    common = {v for v, n in counts.items() if len(submissions) >= 4 and n > COMMON_SHARE * len(submissions)}
    pairs = []
    for first, second in combinations(submissions, 2):
        a, b = set(first.prints) - common, set(second.prints) - common
        union = a | b
        shared = a & b
        lines: dict[str, tuple[set[int], set[int]]] = {}
        for value in shared:
            cell, lines_a = first.prints[value]
            lines.setdefault(cell, (set(), set()))[0].update(lines_a)
            lines[cell][1].update(second.prints[value][1])
        pairs.append(Pair(first.student, second.student, len(shared) / len(union) if union else 0.0, len(shared),
                          lines))
    return sorted(pairs, key=lambda pair: (-pair.score, pair.a, pair.b))


def _side(source: str, marked: set[int]) -> str:
    rows = []
    for number, line in enumerate(source.split("\n"), start=1):
        style = ' class="match"' if number in marked else ""
        rows.append(f"<span{style}>{number:3d}  {html.escape(line)}</span>")
    return "<pre>" + "\n".join(rows) + "</pre>"


def render(chapter: str, submissions: list[Submission], pairs: list[Pair], top: int) -> str:
    by_name = {s.student: s for s in submissions}
    shown = [pair for pair in pairs if pair.shared][:top]
    parts = [f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Similarity: {html.escape(chapter)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:80em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:.3em .6em;vertical-align:top}}pre{{margin:0;font-size:.85em;white-space:pre-wrap}}
table.side{{table-layout:fixed;width:100%}}table.side th:first-child{{width:9em}}
.match{{background:#ffe08a}}.note{{background:#eef3fa;padding:.8em;border-left:4px solid #3b6ea8}}</style>
</head><body><h1>Similar answers: {html.escape(chapter)}</h1>
<p class="note">This report ranks pairs of submissions by how much of their answer code is alike after
renaming, reformatting and leaving out the given stub and code most of the class shares. A high
score is a reason to read the two answers side by side, not a finding: short exercises have few
natural solutions, and students may have worked together as allowed. Highlighted lines hold the
matching code.</p>
<p>{len(submissions)} submissions, {len(pairs)} pairs compared; {len(shown)} pairs with shared code shown
(at most {top}).</p>
<table><tr><th>rank</th><th>student</th><th>student</th><th>alike</th><th>shared fingerprints</th></tr>"""]
    for rank, pair in enumerate(shown, start=1):
        parts.append(f'<tr><td>{rank}</td><td>{html.escape(pair.a)}</td><td>{html.escape(pair.b)}</td>'
                     f'<td><a href="#pair{rank}">{pair.score:.0%}</a></td><td>{pair.shared}</td></tr>')
    parts.append("</table>")
    skipped = [s for s in submissions if s.problem]
    if skipped:
        parts.append("<p>" + "<br>".join(f"{html.escape(s.student)}: {html.escape(s.problem)}" for s in skipped)
                     + "</p>")
    for rank, pair in enumerate(shown, start=1):
        parts.append(f'<h2 id="pair{rank}">{rank}. {html.escape(pair.a)} and {html.escape(pair.b)}: '
                     f'{pair.score:.0%} alike</h2><table class="side"><tr><th>answer</th><th>{html.escape(pair.a)}</th>'
                     f'<th>{html.escape(pair.b)}</th></tr>')
        for cell, (lines_a, lines_b) in sorted(pair.lines.items()):
            parts.append(f"<tr><td>{html.escape(cell)}</td><td>{_side(by_name[pair.a].cells[cell], lines_a)}</td>"
                         f"<td>{_side(by_name[pair.b].cells[cell], lines_b)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def stub_hashes(chapter: str, course_root: Path) -> set[int]:
    """Every hashed run of the learner notebook's answer cells: the code the students were given."""
    notebook = nbformat.read(str(learner_path(chapter, course_root)), as_version=4)
    return {value for cell, source in _answers(notebook).items()
            for value, _, _ in _hashes(cell, normalised_tokens(source))}


def analyse(chapter: str, paths: dict[str, Path], course_root: Path) -> tuple[list[Submission], list[Pair]]:
    given = stub_hashes(chapter, course_root)
    submissions = [_load(path, student, given) for student, path in sorted(paths.items())]
    return submissions, compare([s for s in submissions if not s.problem])


def report(chapter: str, folder, top: int = 20) -> tuple[Path, list[Pair]]:
    """``similarity/<id>.html`` in the class folder, for every imported submission of the chapter."""
    paths = {student: folder.submitted(student, chapter) for student in folder.students(chapter)}
    submissions, pairs = analyse(chapter, paths, folder.course_root)
    out = folder.root / "similarity" / f"{chapter}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(chapter, submissions, pairs, top), encoding="utf-8")
    return out, pairs
