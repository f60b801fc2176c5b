"""The adversarial corpus: submissions that attack the grader.

Each case of :data:`CASES` builds a notebook of chapter 00 from the reference submission and
says exactly what grading must conclude. Unless a case says otherwise, the attack sits in the
``stable_softmax`` answer cell: the softmax exercise must score 0 and the untouched
``log_sum_exp`` exercise must keep its full points.

:data:`OPS_CASES` call each chapter's forbidden built-in through ``torch.ops`` (the route that
used to pass ``forbid``), with the exact points each test cell of the attacked exercise must
give; they run only the chapter up to that exercise's last test cell (see :func:`prefix`).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
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
    reason: str = ""                   # a substring of the row's reason: why it was not graded, or what the grader found
    output: str = ""                   # a substring of the graded notebook's outputs (what the grader did)
    target: str = ATTACKED             # the answer cell that holds the attack

    @property
    def other(self) -> str:
        """The exercise that the attack leaves alone."""
        return UNTOUCHED if self.target == ATTACKED else ATTACKED


# Issue 12: the input checks of the reference and the built-in reached through the dispatcher;
# this scored full marks while forbid watched only Python names and __torch_function__.
SOFTMAX_THROUGH_TORCH_OPS = (
    "import torch\n\n"
    "def stable_softmax(x, dim=-1):\n"
    "    if not isinstance(x, torch.Tensor) or not torch.is_floating_point(x):\n"
    "        raise TypeError('stable_softmax needs a floating-point tensor')\n"
    "    if not -max(x.dim(), 1) <= dim < max(x.dim(), 1):\n"
    "        raise IndexError(f'dim {dim} is out of range for {x.dim()} dimensions')\n"
    "    return torch.nan_to_num(torch.ops.aten._softmax(x, dim, False))\n"
)
LOG_SUM_EXP_THROUGH_TORCH_OPS = (
    "import torch\n\n"
    "def log_sum_exp(x, dim=-1, keepdim=False):\n"
    "    return torch.ops.aten.logsumexp.default(x, [dim], keepdim)\n"
)


CASES = [
    Case("infinite_loop", "while True:\n    pass\n" + CORRECT_SOFTMAX),
    Case("memory_bomb", "hog = []\nwhile True:\n    hog.append(bytearray(10**8))\n" + CORRECT_SOFTMAX),
    Case("fork_bomb", "import os\nwhile True:\n    os.fork()\n" + CORRECT_SOFTMAX),
    Case("huge_output", "print('x' * (100 * 1024 * 1024))\n" + CORRECT_SOFTMAX),
    Case("disk_bomb", "chunk = b'x' * (64 * 1024 * 1024)\nnumber = 0\nwhile True:\n"
                      "    with open(f'filler{number}.bin', 'wb') as filler:\n        filler.write(chunk)\n"
                      "    number += 1\n" + CORRECT_SOFTMAX, output="DiskLimitExceeded", reason="DiskLimitExceeded"),
    Case("many_files", "number = 0\nwhile True:\n    open(f'empty{number}.txt', 'w').close()\n    number += 1\n"
                       + CORRECT_SOFTMAX, output="DiskLimitExceeded"),
    Case("shared_memory_bomb", "with open('/dev/shm/hog', 'wb') as hog:\n    hog.write(b'x' * 2**30)\n"
                               + CORRECT_SOFTMAX, output="No space left on device"),
    Case("syntax_error", "def stable_softmax(x, dim=-1)\n    return x\n"),
    Case("exception_at_import", "import definitely_not_a_real_module\n" + CORRECT_SOFTMAX),
    Case("sys_exit", "import sys\nsys.exit()\n" + CORRECT_SOFTMAX),
    Case("os_exit", "import os\nos._exit(0)\n" + CORRECT_SOFTMAX),
    Case("kill_own_kernel", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + CORRECT_SOFTMAX,
         reason="DeadKernelError"),
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
         "def stable_softmax(x, dim=-1):\n    return Anything()\n", reason="TamperingDetected"),
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
         + WRONG_SOFTMAX, reason="TamperingDetected"),
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
    Case("softmax_through_torch_ops", SOFTMAX_THROUGH_TORCH_OPS, output="ForbiddenFunctionError"),
    Case("log_softmax_through_torch_ops",
         "import torch\n\ndef stable_softmax(x, dim=-1):\n"
         "    return torch.ops.aten._log_softmax.default(x, dim, False).exp()\n", output="ForbiddenFunctionError"),
    Case("log_sum_exp_through_torch_ops", LOG_SUM_EXP_THROUGH_TORCH_OPS, target=UNTOUCHED,
         output="ForbiddenFunctionError"),
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
        if _is(cell, "solution") and cell["metadata"]["nbgrader"]["grade_id"] == case.target and case.answer:
            cell["source"] = case.answer.replace("REPO", str(REPO_ROOT))
    tests = _tests_of(cells, case.target)
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


# ---------------------------------------------------------------- every chapter's built-in through torch.ops


@dataclass(frozen=True)
class OpsCase:
    """An answer that calls its chapter's forbidden built-in through ``torch.ops.aten`` and keeps
    the rest of the reference (input checks, parameters), so that only ``forbid`` stands between
    it and the points. ``points`` gives what each test cell of the exercise must award."""

    chapter: str
    answer_id: str
    source: str
    points: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.chapter}:{self.answer_id}"


# Chapters 01_tokens (BPE: PyTorch has no built-in to forbid), 02_embeddings (sinusoidal encoding
# and RoPE: none either) and 06_encoder_decoder (built from PyTorch's own modules, which the
# earlier chapters proved equal to the learner's) forbid nothing, so they have no case here.
# Chapter 00 has its cases in CASES above (graded with the rest of the corpus).
OPS_CASES = [
    # issue 12 (6 of 13 points before): now only the hand-made example, which forbids nothing, passes;
    # the error checks fail for want of input checks.
    OpsCase("03_attention", "scaled_dot_product_attention",
            "import torch\n\n"
            "def scaled_dot_product_attention(q, k, v, mask=None):\n"
            "    output, weights = torch.ops.aten._scaled_dot_product_attention_math(q, k, v, attn_mask=mask)\n"
            "    return output, weights\n",
            {"test_attention_by_hand": 2, "test_attention_matches_sdpa": 0, "test_attention_masks": 0,
             "test_attention_errors": 0}),
    # the built-in wherever it can serve (no gradient, self-attention, no mask), the learner's own
    # helpers elsewhere: a student saving effort where the hidden tests look most
    OpsCase("04_multihead", "multi_head_attention",
            "import math\nimport torch\nimport torch.nn as nn\n\n"
            "class MultiHeadAttention(nn.Module):\n"
            "    def __init__(self, d_model, num_heads, bias=True, dropout=0.0):\n"
            "        super().__init__()\n"
            "        for size in (d_model, num_heads):\n"
            "            if isinstance(size, bool) or not isinstance(size, int) or size < 1:\n"
            "                raise ValueError(f'sizes must be positive ints, got {size!r}')\n"
            "        if d_model % num_heads or not 0.0 <= dropout < 1.0:\n"
            "            raise ValueError(f'd_model={d_model}, num_heads={num_heads}, dropout={dropout}')\n"
            "        self.d_model, self.num_heads, self.d_k, self.dropout = d_model, num_heads, d_model // num_heads, dropout\n"
            "        self.q_proj = nn.Linear(d_model, d_model, bias=bias)\n"
            "        self.k_proj = nn.Linear(d_model, d_model, bias=bias)\n"
            "        self.v_proj = nn.Linear(d_model, d_model, bias=bias)\n"
            "        self.out_proj = nn.Linear(d_model, d_model, bias=bias)\n\n"
            "    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None, need_weights=False):\n"
            "        for t in (query, key, value):\n"
            "            if not isinstance(t, torch.Tensor) or not t.is_floating_point():\n"
            "                raise TypeError('query, key and value must be floating-point tensors')\n"
            "            if t.dim() != 3 or t.shape[-1] != self.d_model:\n"
            "                raise ValueError(f'expected (B, L, {self.d_model}), got {tuple(t.shape)}')\n"
            "        B, L_q, L_k = query.shape[0], query.shape[1], key.shape[1]\n"
            "        if key.shape[0] != B or value.shape[0] != B or value.shape[1] != L_k:\n"
            "            raise ValueError('query, key and value do not fit together')\n"
            "        easy = (not torch.is_grad_enabled() and key_padding_mask is None and attn_mask is None\n"
            "                and query.shape == key.shape == value.shape and not (self.training and self.dropout > 0))\n"
            "        if easy:\n"
            "            zeros = torch.zeros(self.d_model, dtype=query.dtype)\n"
            "            parts = (self.q_proj, self.k_proj, self.v_proj)\n"
            "            weight = torch.cat([p.weight for p in parts])\n"
            "            bias = torch.cat([zeros if p.bias is None else p.bias for p in parts])\n"
            "            out_bias = zeros if self.out_proj.bias is None else self.out_proj.bias\n"
            "            output, weights = torch.ops.aten._native_multi_head_attention(\n"
            "                query, key, value, self.d_model, self.num_heads, weight, bias, self.out_proj.weight,\n"
            "                out_bias, None, need_weights, False)\n"
            "            return output, (weights if need_weights else None)\n"
            "        allowed = combine_masks(key_padding_mask, attn_mask, B, L_q, L_k)\n"
            "        q = split_heads(self.q_proj(query), self.num_heads)\n"
            "        k = split_heads(self.k_proj(key), self.num_heads)\n"
            "        v = split_heads(self.v_proj(value), self.num_heads)\n"
            "        weights = attention_weights(q @ k.transpose(-2, -1) / math.sqrt(self.d_k), allowed, self.dropout,\n"
            "                                    self.training)\n"
            "        return self.out_proj(merge_heads(weights @ v)), (weights if need_weights else None)\n",
            # (10 of 10 before; the cross-attention and error tests run its own code and keep their points)
            {"test_mha_structure_and_parameter_count": 2, "test_mha_matches_torch_self_attention": 0,
             "test_mha_cross_attention_and_masks": 3, "test_mha_dropout": 0, "test_mha_input_errors": 1}),
    # (8 of 8 before: rms_norm of the centred input is LayerNorm, and torch.ops.aten.rms_norm was open)
    OpsCase("05_block", "layer_norm",
            "import torch\nimport torch.nn as nn\n\n"
            "class LayerNorm(nn.Module):\n"
            "    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True):\n"
            "        super().__init__()\n"
            "        if isinstance(normalized_shape, bool) or not isinstance(normalized_shape, int):\n"
            "            raise TypeError('normalized_shape must be an int')\n"
            "        if normalized_shape < 1:\n"
            "            raise ValueError('normalized_shape must be at least 1')\n"
            "        self.normalized_shape, self.eps = normalized_shape, eps\n"
            "        self.weight = nn.Parameter(torch.ones(normalized_shape)) if elementwise_affine else None\n"
            "        self.bias = nn.Parameter(torch.zeros(normalized_shape)) if elementwise_affine else None\n\n"
            "    def forward(self, x):\n"
            "        if not isinstance(x, torch.Tensor) or not x.is_floating_point():\n"
            "            raise TypeError('x must be a floating-point tensor')\n"
            "        if x.dim() == 0 or x.shape[-1] != self.normalized_shape:\n"
            "            raise ValueError(f'the last dimension of x must be {self.normalized_shape}')\n"
            "        centred = x - x.mean(dim=-1, keepdim=True)\n"
            "        # rms_norm(x - mean) = (x - mean) / sqrt(var + eps): LayerNorm without the bias\n"
            "        y = torch.ops.aten.rms_norm(centred, [self.normalized_shape], self.weight, self.eps)\n"
            "        return y if self.bias is None else y + self.bias\n",
            {"test_layer_norm_matches_torch": 0, "test_layer_norm_gradients": 0, "test_layer_norm_edge_cases": 0,
             "test_layer_norm_errors": 1}),
    # (5 of 5 before)
    OpsCase("07_gpt", "causal_lm_loss",
            "import torch\n\n"
            "def causal_lm_loss(logits, targets, ignore_index=-100):\n"
            "    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():\n"
            "        raise TypeError('logits must be a floating-point tensor')\n"
            "    if not isinstance(targets, torch.Tensor) or targets.is_floating_point() or targets.dtype == torch.bool:\n"
            "        raise TypeError('targets must be an integer tensor')\n"
            "    if targets.shape != logits.shape[:-1]:\n"
            "        raise ValueError('targets must have the shape of logits without the last dim')\n"
            "    keep = targets != ignore_index\n"
            "    if not bool(keep.any()):\n"
            "        raise ValueError('no target to predict')\n"
            "    if bool(((targets[keep] < 0) | (targets[keep] >= logits.size(-1))).any()):\n"
            "        raise ValueError('a target is out of range')\n"
            "    log_probs = torch.log_softmax(logits, dim=-1).reshape(-1, logits.size(-1))\n"
            "    return torch.ops.aten.nll_loss_nd(log_probs, targets.reshape(-1).long(), None, 1, ignore_index)\n",
            {"test_causal_lm_loss_matches_cross_entropy": 0, "test_causal_lm_loss_ignore_index": 0,
             "test_causal_lm_loss_errors": 1}),
]


def prefix(case: OpsCase, source_notebook: dict) -> dict:
    """The chapter's source notebook (hidden tests included, as nbgrader restores them) up to the
    last test cell of the attacked exercise, with the reference answers (markers removed) and the
    attack in its answer cell: what grading runs, without the rest of the chapter."""
    notebook = copy.deepcopy(source_notebook)
    cells = notebook["cells"]
    last = _tests_of(cells, case.answer_id)[-1]
    notebook["cells"] = cells = cells[: last + 1]
    for cell in cells:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if _is(cell, "solution"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = case.source if cell["metadata"]["nbgrader"]["grade_id"] == case.answer_id else "\n".join(
                line for line in source.split("\n") if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return notebook
