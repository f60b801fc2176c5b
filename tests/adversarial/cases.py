"""The adversarial corpus: submissions of chapter 00 that attack the grader.

Each case builds a notebook from the reference submission and says exactly what grading
must conclude. Unless a case says otherwise, the attack sits in the ``stable_softmax``
answer cell: the softmax exercise must score 0 and the untouched ``log_sum_exp`` exercise
must keep its full points.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CHAPTER = "00_welcome"
ATTACKED = "stable_softmax"
UNTOUCHED = "log_sum_exp"

# A wrong answer used where the attack is on the tests rather than the answer.
WRONG_SOFTMAX = "import torch\n\ndef stable_softmax(x, dim=-1):\n    return x * 0\n"
CORRECT_SOFTMAX = (
    "import torch\n\n"
    "def stable_softmax(x, dim=-1):\n"
    "    if not torch.is_floating_point(x):\n"
    "        raise TypeError('stable_softmax needs a floating-point tensor')\n"
    "    if x.numel() == 0:\n"
    "        return x.clone()\n"
    "    m = x.amax(dim=dim, keepdim=True)\n"
    "    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))\n"
    "    e = torch.exp(x - m)\n"
    "    s = e.sum(dim=dim, keepdim=True)\n"
    "    return torch.where(s > 0, e / torch.where(s > 0, s, torch.ones_like(s)), torch.zeros_like(e))\n"
)


@dataclass(frozen=True)
class Case:
    name: str
    answer: str | None = None          # source for the stable_softmax answer cell
    edit: str | None = None            # name of a notebook edit (see EDITS)
    raw: bytes | None = None           # the file's bytes, for broken files
    expect_attacked: float | None = 0  # points on the softmax tests (None: not checked)
    expect_untouched: str = "full"     # "full" or "zero"
    reason: str = ""                   # a substring of the row's reason, for submissions that are not graded
    output: str = ""                   # a substring of the graded notebook's outputs (what the grader did)


CASES = [
    Case("infinite_loop", "while True:\n    pass\n" + CORRECT_SOFTMAX),
    Case("memory_bomb", "hog = []\nwhile True:\n    hog.append(bytearray(10**8))\n" + CORRECT_SOFTMAX),
    Case("fork_bomb", "import os\nwhile True:\n    os.fork()\n" + CORRECT_SOFTMAX),
    Case("huge_output", "print('x' * (100 * 1024 * 1024))\n" + CORRECT_SOFTMAX),
    Case("disk_bomb", "chunk = b'x' * (64 * 1024 * 1024)\nnumber = 0\nwhile True:\n"
                      "    with open(f'filler{number}.bin', 'wb') as filler:\n        filler.write(chunk)\n"
                      "    number += 1\n" + CORRECT_SOFTMAX, output="DiskLimitExceeded"),
    Case("many_files", "number = 0\nwhile True:\n    open(f'empty{number}.txt', 'w').close()\n    number += 1\n"
                       + CORRECT_SOFTMAX, output="DiskLimitExceeded"),
    Case("shared_memory_bomb", "with open('/dev/shm/hog', 'wb') as hog:\n    hog.write(b'x' * 2**30)\n"
                               + CORRECT_SOFTMAX, output="No space left on device"),
    Case("syntax_error", "def stable_softmax(x, dim=-1)\n    return x\n"),
    Case("exception_at_import", "import definitely_not_a_real_module\n" + CORRECT_SOFTMAX),
    Case("sys_exit", "import sys\nsys.exit()\n" + CORRECT_SOFTMAX),
    Case("os_exit", "import os\nos._exit(0)\n" + CORRECT_SOFTMAX),
    Case("kill_own_kernel", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + CORRECT_SOFTMAX),
    Case("deleted_test_cells", WRONG_SOFTMAX, edit="delete_tests"),
    Case("edited_test_cells", WRONG_SOFTMAX, edit="empty_tests"),
    Case("duplicated_cells", WRONG_SOFTMAX, edit="duplicate_tests"),
    Case("changed_cell_types", WRONG_SOFTMAX, edit="tests_to_markdown"),
    Case("edited_metadata", WRONG_SOFTMAX, edit="inflate_metadata"),
    Case("reads_solutions_and_gradebook",
         "import glob\n"
         "found = glob.glob('REPO/solutions/*/*.ipynb') + glob.glob('REPO/autograder/work/*.db')\n"
         "found += glob.glob('/tmp/**/gradebook.db', recursive=True) + glob.glob('/tmp/**/submitted/*/*/*.ipynb', recursive=True)\n"
         "print('visible secrets:', found)\n"
         "source = open(found[0]).read() if found else ''\n"
         "def stable_softmax(x, dim=-1):\n    return x * 0 if not source else x\n"),
    Case("network", "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=3)\n" + CORRECT_SOFTMAX),
    Case("eq_always_true",
         "class Anything:\n    def __eq__(self, other):\n        return True\n"
         "    def __bool__(self):\n        return True\n\n"
         "def stable_softmax(x, dim=-1):\n    return Anything()\n"),
    Case("tensor_subclass",
         "import torch\n\nclass Agreeable(torch.Tensor):\n    pass\n\n"
         "def stable_softmax(x, dim=-1):\n    return torch.zeros_like(x).as_subclass(Agreeable)\n"),
    Case("lazy_proxy",
         "import torch\n\nclass Proxy:\n    def __init__(self, x):\n        self.x = x\n"
         "    def __getattr__(self, name):\n        return getattr(self.x, name)\n\n"
         "def stable_softmax(x, dim=-1):\n    return Proxy(x * 0)\n"),
    Case("monkeypatched_torch_comparisons",
         "import torch\ntorch.allclose = lambda *args, **kwargs: True\n"
         "torch.testing.assert_close = lambda *args, **kwargs: None\ntorch.equal = lambda *args, **kwargs: True\n"
         + WRONG_SOFTMAX),
    Case("monkeypatched_numpy_testing",
         "import numpy as np\nnp.testing.assert_allclose = lambda *args, **kwargs: None\n"
         "np.allclose = lambda *args, **kwargs: True\n" + WRONG_SOFTMAX),
    Case("monkeypatched_grading_helper",
         "import transformer_course.grading as grading\ngrading.assert_close = lambda *args, **kwargs: None\n"
         + WRONG_SOFTMAX),
    Case("calls_forbidden_builtin", "import torch\n\ndef stable_softmax(x, dim=-1):\n    return torch.softmax(x, dim=dim)\n"),
    Case("calls_forbidden_builtin_through_alias",
         "import torch\n_saved = torch.nn.functional.softmax\n\n"
         "def stable_softmax(x, dim=-1):\n    return _saved(x, dim=dim)\n"),
    Case("swallows_exceptions",
         "ip = get_ipython()\nip.showtraceback = lambda *args, **kwargs: None\n" + WRONG_SOFTMAX),
    Case("not_a_notebook", raw=b"def stable_softmax(x):\n    return x\n", expect_untouched="zero",
         reason="not a readable notebook"),
    Case("invalid_json", raw=b'{"cells": [{"cell_type": "code", "source": ', expect_untouched="zero",
         reason="not a readable notebook"),
    Case("empty_file", raw=b"", expect_untouched="zero", reason="not a readable notebook"),
    Case("notebook_of_another_chapter", edit="other_chapter", expect_untouched="zero"),
]


def _is(cell, kind: str) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get(kind))


def _tests_of(cells, answer_id: str) -> list[int]:
    indices, inside = [], False
    for index, cell in enumerate(cells):
        if _is(cell, "solution"):
            inside = cell["metadata"]["nbgrader"]["grade_id"] == answer_id
        elif inside and _is(cell, "grade"):
            indices.append(index)
    return indices


def build(case: Case, reference: dict, other_chapter: dict) -> bytes:
    """The bytes of the submission for ``case``."""
    if case.raw is not None:
        return case.raw
    if case.edit == "other_chapter":
        return json.dumps(other_chapter).encode()
    notebook = copy.deepcopy(reference)
    cells = notebook["cells"]
    for cell in cells:
        if _is(cell, "solution") and cell["metadata"]["nbgrader"]["grade_id"] == ATTACKED and case.answer:
            cell["source"] = case.answer.replace("REPO", str(REPO_ROOT))
    tests = _tests_of(cells, ATTACKED)
    if case.edit == "delete_tests":
        notebook["cells"] = [c for i, c in enumerate(cells) if i not in tests]
    elif case.edit == "empty_tests":
        for index in tests:
            cells[index]["source"] = "pass"
    elif case.edit == "duplicate_tests":
        for index in reversed(tests):
            cells.insert(index + 1, copy.deepcopy(cells[index]))
    elif case.edit == "tests_to_markdown":
        for index in tests:
            cells[index]["cell_type"] = "markdown"
            cells[index].pop("outputs", None)
            cells[index].pop("execution_count", None)
    elif case.edit == "inflate_metadata":
        for number, index in enumerate(tests):
            meta = cells[index]["metadata"]["nbgrader"]
            meta["points"] = 100
            meta["grade_id"] = f"free_points_{number}"
            cells[index]["source"] = "pass"
    return json.dumps(notebook).encode()
