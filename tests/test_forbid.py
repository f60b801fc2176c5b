"""``forbid`` closes every route to a forbidden built-in, with the names the chapters really use.

The forbidden names are read from the test cells of solutions/ (the ``NAME = (...)`` tuples that
``forbid(*NAME)`` receives), so this test follows the chapters. For each chapter, every route to
its built-ins (the Python name, a saved alias, a tensor method, ``torch._C``, ``torch.ops.aten.X``
and ``.default``, TorchScript) must raise ForbiddenFunctionError inside ``forbid``, while the
building blocks of a correct answer (and their backward pass) keep working.
"""
from __future__ import annotations

import ast

import pytest
import torch
import torch.nn.functional as F

from autograder.notebooks import is_test, read, source_path
from conftest import CHAPTERS
from transformer_course import grading
from transformer_course.grading import ForbiddenFunctionError, aten_operators, forbid

A = torch.ops.aten


def forbidden_names(chapter: str) -> tuple[str, ...]:
    """Every name that a test cell of ``chapter`` passes to ``forbid(*NAME)``."""
    names: list[str] = []
    for cell in read(source_path(chapter)).cells:
        if not is_test(cell) or "forbid(" not in cell.source:
            continue
        tree = ast.parse(cell.source)
        used = {node.args[0].value.id for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "forbid" and node.args
                and isinstance(node.args[0], ast.Starred) and isinstance(node.args[0].value, ast.Name)}
        namespace = {"torch": torch}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) in used for t in node.targets):
                exec(compile(ast.Module([node], []), chapter, "exec"), namespace)  # a tuple of strings
        for name in used:
            names.extend(n for n in namespace.get(name, ()) if n not in names)
    return tuple(names)


x = torch.randn(2, 3, 5, dtype=torch.float64, requires_grad=True)
q = torch.randn(1, 2, 3, 4)
causal = torch.ones(3, 3, dtype=torch.bool).tril()
targets = torch.zeros(6, dtype=torch.long)


def _softmax_for_script(t: torch.Tensor) -> torch.Tensor:
    return torch.softmax(t, -1)


_scripted_softmax = torch.jit.script(_softmax_for_script)  # compiled before the block, as an answer cell would


def _without_torch_function(call):
    """``call`` with __torch_function__ switched off (what the tamper scan forbids, and the
    dispatcher layer must still stop)."""
    def run():
        with torch._C.DisableTorchFunction():
            return call()
    return run


ROUTES = {
    "00_welcome": {
        "torch.ops.aten._softmax": lambda: torch.nan_to_num(A._softmax(x, -1, False)),
        "torch.ops.aten._softmax.default": lambda: A._softmax.default(x, -1, False),
        "torch.ops.aten._safe_softmax": lambda: A._safe_softmax(x, -1),
        "torch.ops.aten._log_softmax().exp()": lambda: A._log_softmax.default(x, -1, False).exp(),
        "torch.special.log_softmax().exp()": lambda: torch.special.log_softmax(x, -1).exp(),
        "Tensor.softmax through the base class": lambda: torch._C.TensorBase.softmax(x, -1),
        "TorchScript": lambda: _scripted_softmax(x),
        # an allowed function that calls softmax inside: __torch_function__ sees only softmin
        "F.softmin(-x)": lambda: F.softmin(-x, dim=-1),
        "torch.logcumsumexp(...)[..., -1]": lambda: torch.logcumsumexp(x, -1)[..., -1],
        "aten._softmax without __torch_function__": _without_torch_function(lambda: A._softmax(x, -1, False)),
        "aten.logsumexp without __torch_function__": _without_torch_function(lambda: A.logsumexp(x, [-1])),
        "torch.ops.aten.logsumexp": lambda: A.logsumexp(x, [-1]),
        "torch.ops.aten.logsumexp.default": lambda: A.logsumexp.default(x, [-1], False),
    },
    "03_attention": {
        "torch.ops.aten._scaled_dot_product_attention_math": lambda: A._scaled_dot_product_attention_math(
            q, q, q, attn_mask=causal),
        "torch.ops.aten.scaled_dot_product_attention": lambda: A.scaled_dot_product_attention(q, q, q),
        "torch.ops.aten._scaled_dot_product_flash_attention_for_cpu.default":
            lambda: A._scaled_dot_product_flash_attention_for_cpu.default(q, q, q),
        "torch._C._nn.scaled_dot_product_attention": lambda: torch._C._nn.scaled_dot_product_attention(q, q, q),
        "aten.scaled_dot_product_attention without __torch_function__": _without_torch_function(
            lambda: A.scaled_dot_product_attention(q, q, q)),
    },
    "04_multihead": {
        "torch.ops.aten._native_multi_head_attention": lambda: A._native_multi_head_attention(
            q[0], q[0], q[0], 4, 2, torch.randn(12, 4), torch.zeros(12), torch.randn(4, 4), torch.zeros(4)),
        "native MHA without __torch_function__": _without_torch_function(lambda: A._native_multi_head_attention(
            q[0], q[0], q[0], 4, 2, torch.randn(12, 4), torch.zeros(12), torch.randn(4, 4), torch.zeros(4))),
        "nn.MultiheadAttention's fast path": lambda: torch.nn.MultiheadAttention(4, 2, batch_first=True).eval()(
            q[0], q[0], q[0]),
    },
    "05_block": {
        "torch.ops.aten.native_layer_norm.default": lambda: A.native_layer_norm.default(x, [5], None, None, 1e-5),
        "torch.ops.aten.layer_norm": lambda: A.layer_norm(x, [5]),
        "torch.ops.aten.rms_norm of the centred input": lambda: A.rms_norm(x - x.mean(-1, keepdim=True), [5]),
        "torch.ops.aten._fused_rms_norm": lambda: A._fused_rms_norm(x, [5], None, 1e-5),
        "torch.ops.aten.native_group_norm": lambda: A.native_group_norm(x, None, None, 2, 3, 5, 1, 1e-5),
        "torch.ops.aten.native_batch_norm": lambda: A.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5),
        "nn.LayerNorm": lambda: torch.nn.LayerNorm(5, dtype=torch.float64)(x),
        "native_layer_norm without __torch_function__": _without_torch_function(
            lambda: A.native_layer_norm(x, [5], None, None, 1e-5)),
    },
    "07_gpt": {
        "torch.ops.aten.nll_loss_nd": lambda: A.nll_loss_nd(x.reshape(-1, 5).log_softmax(-1), targets, None, 1, -100),
        "torch.ops.aten.nll_loss_forward": lambda: A.nll_loss_forward(x.reshape(-1, 5), targets, None, 1, -100),
        "torch.ops.aten.cross_entropy_loss": lambda: A.cross_entropy_loss(x.reshape(-1, 5), targets),
        "torch.ops.aten.nll_loss2d": lambda: A.nll_loss2d(x.reshape(1, 5, 6, 1), targets.reshape(1, 6, 1)),
        "nll_loss_nd without __torch_function__": _without_torch_function(
            lambda: A.nll_loss_nd(x.reshape(-1, 5), targets, None, 1, -100)),
    },
}


def _softmax_by_hand(t, dim=-1):
    e = (t - t.amax(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def _layer_norm_by_hand(t):
    centred = t - t.mean(-1, keepdim=True)
    return centred / ((centred * centred).mean(-1, keepdim=True) + 1e-5).sqrt()


# What a correct answer builds on: it must run inside forbid, with its backward pass.
ALLOWED = {
    "00_welcome": lambda: _softmax_by_hand(x).sum() + (x.amax(-1) + (x - x.amax(-1, keepdim=True)).exp().sum(-1).log()).sum(),
    "03_attention": lambda: (torch.softmax((q @ q.transpose(-1, -2)).masked_fill(~causal, float("-inf")), -1) @ q).sum()
    + torch._safe_softmax(q, -1).sum(),
    "04_multihead": lambda: F.scaled_dot_product_attention(q, q, q).sum() + torch.softmax(q, -1).sum(),
    "05_block": lambda: _layer_norm_by_hand(x).sum() + torch.var_mean(x, -1)[0].sum(),
    "07_gpt": lambda: -x.reshape(-1, 5).log_softmax(-1).gather(-1, targets[:, None]).mean()
    + torch.logsumexp(x, -1).sum() + F.binary_cross_entropy_with_logits(x, torch.ones_like(x)),
}

FORBIDDING = [chapter for chapter in CHAPTERS if forbidden_names(chapter)]


def test_the_chapters_that_forbid_built_ins_are_covered():
    assert set(FORBIDDING) <= set(ROUTES), f"chapters that forbid built-ins without routes here: {set(FORBIDDING) - set(ROUTES)}"


@pytest.mark.parametrize("chapter", FORBIDDING)
def test_every_forbidden_name_has_operators(chapter):
    """The table in grading.py knows the ATen operators behind every name a chapter forbids."""
    unknown = [name for name in forbidden_names(chapter) if not aten_operators(name)]
    assert not unknown, f"add these to transformer_course.grading.ATEN_ROUTES: {unknown}"


@pytest.mark.parametrize("chapter", FORBIDDING)
def test_every_route_is_refused(chapter, monkeypatch):
    names = forbidden_names(chapter)
    refusals = []

    def refuse(name):
        refusals.append(name)
        original_refuse(name)

    original_refuse = grading._refuse
    monkeypatch.setattr(grading, "_refuse", refuse)
    open_routes = []
    for route, call in ROUTES[chapter].items():
        call()  # a real route: it works outside the block
        refusals.clear()
        try:
            with forbid(*names):
                call()
        except ForbiddenFunctionError:
            continue
        except RuntimeError:  # TorchScript replaces the refusal by an empty RuntimeError of its own
            if refusals:
                continue
            raise
        open_routes.append(route)
    assert not open_routes, f"{chapter}: routes that forbid lets through: {open_routes}"


@pytest.mark.parametrize("chapter", FORBIDDING)
def test_building_blocks_and_backward_still_work(chapter):
    names = forbidden_names(chapter)
    x.grad = None
    with forbid(*names):
        loss = ALLOWED[chapter]()
        loss.backward() if loss.requires_grad else None
    assert torch.isfinite(loss)


def test_an_unknown_operator_is_a_test_bug():
    with pytest.raises(ValueError, match="no such ATen operator"):
        with forbid("torch.ops.aten.no_such_operator"):
            pass


def test_flex_attention_is_no_way_around_a_forbidden_attention():
    """FlexAttention is attention by another road (a higher-order operator, not an ATen one): under
    forbid's dispatch mode it cannot run at all, so it earns nothing where attention is forbidden."""
    from torch.nn.attention.flex_attention import flex_attention

    queries = torch.randn(1, 2, 4, 8)
    assert flex_attention(queries, queries, queries).shape == queries.shape  # it works outside the block
    with pytest.raises(Exception, match="flex_attention"):
        with forbid("torch.nn.functional.scaled_dot_product_attention"):
            flex_attention(queries, queries, queries)


def test_everything_is_restored_after_the_block():
    before = (torch.softmax, F.softmax, torch.Tensor.softmax)
    with forbid("torch.softmax", "torch.nn.functional.softmax", "torch.Tensor.softmax"):
        pass
    assert (torch.softmax, F.softmax, torch.Tensor.softmax) == before
    assert torch.allclose(A._softmax(q, -1, False), torch.softmax(q, -1))


@pytest.mark.parametrize("source", [
    "import torch\nscripted = torch.jit.script(lambda_softmax)",
    "from torch.utils._python_dispatch import _disable_current_modes",
    "import torch\nwith torch.utils._python_dispatch._disable_current_modes():\n    pass",
    "from torch import library",
    "import torch._refs\nsoftmax = torch._refs.softmax",
    "from torch._C import _nn",
    "import torch\nC = getattr(torch, '_C')",
])
def test_the_tamper_scan_flags_the_ways_around_forbid(source):
    from autograder.static_checks import scan

    assert scan(source), f"not flagged: {source!r}"


def test_the_tamper_scan_leaves_ordinary_code_alone():
    from autograder.static_checks import scan

    source = ("import torch\nimport torch.nn.functional as F\nfrom torch.nn.modules.activation import MultiheadAttention\n"
              "def act(x, name):\n    return getattr(F, name.lower())(x) + getattr(x, 'dtype', None) is None\n")
    assert scan(source) == []
