"""Helpers for the test cells of the chapters.

Test cells compare a learner's result with an independent oracle. Every comparison
goes through :func:`assert_close` so that it checks the *kind* of object first (a plain
``torch.Tensor``, the expected shape and dtype) and only then the numbers, with a
message that tells the learner what is wrong. :func:`forbid` makes a PyTorch built-in
unavailable while the learner's code runs, for exercises that re-implement it, and
:func:`expect_error` checks that bad input raises the error an exercise asks for.
"""
from __future__ import annotations

import contextlib
import importlib
import re
from typing import Iterator

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class ForbiddenFunctionError(RuntimeError):
    """Raised when an exercise calls the built-in it is meant to re-implement."""


# References captured when this module is first imported. The autograder imports it before
# any learner code runs, so replacing ``torch.isnan`` or ``torch.equal`` later (from an
# answer cell) does not change what the comparisons below use.
_type = type
_search = re.search
_isinstance = isinstance
_tuple = tuple
_Tensor = torch.Tensor
_isnan = torch.isnan
_isinf = torch.isinf
_isfinite = torch.isfinite
_equal = torch.equal
_argmax = torch.argmax
_float64 = torch.float64
_detach = torch.Tensor.detach
_to = torch.Tensor.to
_abs = torch.Tensor.abs
_all = torch.Tensor.all
_max = torch.Tensor.max
_sum = torch.Tensor.sum
_item = torch.Tensor.item
_numel = torch.Tensor.numel
_shape = torch.Tensor.shape.__get__
_dtype = torch.Tensor.dtype.__get__
_getitem = torch.Tensor.__getitem__
_sub = torch.Tensor.__sub__
_add = torch.Tensor.__add__
_mul = torch.Tensor.__mul__
_le = torch.Tensor.__le__
_operator_types = (torch._ops.OpOverload, torch._ops.OpOverloadPacket)


def _resolve(dotted: str):
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:-1]:
            owner = getattr(owner, attr)
        return owner, parts[-1]
    raise ValueError(f"cannot resolve {dotted!r}")


# The ATen operators behind each Python name that a chapter forbids. Every route to a built-in
# (the Python function, an alias saved earlier, a tensor method, ``torch._C._nn``, ``torch.ops.aten.X``
# or ``torch.ops.aten.X.default``, TorchScript) ends at one of these operators in PyTorch's
# dispatcher, where :class:`_ForbiddenOps` stops it. Only the operators that *are* the forbidden
# computation are listed, never a building block: forbidding ``cross_entropy`` blocks the NLL
# operators but not ``_log_softmax`` (a learner's own cross-entropy may well use ``log_softmax``),
# and forbidding ``scaled_dot_product_attention`` leaves ``_safe_softmax`` (the attention chapter
# lets learners use softmax). A name is looked up by its full dotted path first, then by its last
# part (``torch.softmax``, ``torch.Tensor.softmax`` and ``torch.nn.functional.softmax`` share one row);
# ``torch.ops.aten.X`` and a name that is itself an ATen operator block that operator.
_SOFTMAX = ("softmax", "_softmax", "_safe_softmax")
_LOG_SOFTMAX = ("log_softmax", "_log_softmax")
_SDPA = ("scaled_dot_product_attention", "_scaled_dot_product_attention_math",
         "_scaled_dot_product_attention_math_for_mps", "_scaled_dot_product_flash_attention",
         "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_efficient_attention",
         "_scaled_dot_product_cudnn_attention", "_scaled_dot_product_fused_attention_overrideable",
         "_flash_attention_forward", "_efficient_attention_forward", "_native_multi_head_attention")
_BATCH_NORM = ("batch_norm", "instance_norm", "native_batch_norm", "_native_batch_norm_legit",
               "_native_batch_norm_legit_no_training", "_native_batch_norm_legit_functional",
               "_batch_norm_with_update", "_batch_norm_with_update_functional", "_batch_norm_no_update",
               "_batch_norm_impl_index", "cudnn_batch_norm", "miopen_batch_norm")
_NLL = ("nll_loss", "nll_loss_nd", "nll_loss_forward", "nll_loss2d", "nll_loss2d_forward")
ATEN_ROUTES: dict[str, tuple[str, ...]] = {
    "softmax": _SOFTMAX,
    "log_softmax": _LOG_SOFTMAX,
    "logsumexp": ("logsumexp", "logcumsumexp"),  # the last entry of a cumulative LSE is the LSE
    "scaled_dot_product_attention": _SDPA,
    "multi_head_attention_forward": ("_native_multi_head_attention",),
    "torch.nn.MultiheadAttention.forward": ("_native_multi_head_attention",),
    "torch.nn.MultiheadAttention": ("_native_multi_head_attention",),
    "layer_norm": ("layer_norm", "native_layer_norm"),
    "group_norm": ("group_norm", "native_group_norm"),
    "batch_norm": _BATCH_NORM,
    "instance_norm": _BATCH_NORM,
    "rms_norm": ("rms_norm", "_fused_rms_norm"),
    "cross_entropy": ("cross_entropy_loss", *_NLL),
    "cross_entropy_loss": ("cross_entropy_loss", *_NLL),
    "CrossEntropyLoss": ("cross_entropy_loss", *_NLL),
    "nll_loss": _NLL,
    "nll_loss_nd": _NLL,
    "NLLLoss": _NLL,
}


def _aten_op(name: str):
    """``torch.ops.aten.<name>`` (an operator, all its overloads), or None where this PyTorch has none."""
    try:
        return getattr(torch.ops.aten, name)
    except (AttributeError, RuntimeError):
        return None


def aten_operators(dotted: str) -> set:
    """The ATen operators (overload packets) that forbidding ``dotted`` blocks."""
    parts = dotted.split(".")
    if parts[:3] == ["torch", "ops", "aten"] and len(parts) > 3:
        names: tuple[str, ...] = (parts[3],)
    else:
        names = ATEN_ROUTES.get(dotted) or ATEN_ROUTES.get(parts[-1]) or (parts[-1],)
    return {op for op in map(_aten_op, names) if op is not None}


def _packet(func):
    """The overload packet of an operator (``aten._softmax`` for ``aten._softmax.default``)."""
    return getattr(func, "overloadpacket", func)


def _refuse(name: str):
    raise ForbiddenFunctionError(f"{name} is not allowed in this exercise: the point is to write it yourself")


class _ForbiddenOps(TorchDispatchMode):
    """Stops the forbidden operators in PyTorch's dispatcher, where every route to them meets.

    Operators that PyTorch decomposes before the dispatcher sees them (``aten.softmax.int``,
    ``aten._scaled_dot_product_attention_math``) are stopped by :class:`_Forbidden` when called
    through ``torch.ops``; what they decompose into is stopped here when it is forbidden too.
    """

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # PyTorch would wrap __torch_dispatch__ to keep torch.compile out of it, importing
        # torch._dynamo (about 2 s) at the first operator; nothing here is ever compiled.
        return False

    def __init__(self, operators: dict):
        super().__init__()
        self.operators = operators

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = self.operators.get(_packet(func))
        if name is not None:
            _refuse(f"{func} (behind {name})")
        return func(*args, **(kwargs or {}))


class _Forbidden(torch.overrides.TorchFunctionMode):
    """Catches calls to the forbidden functions however they are reached (an alias saved
    earlier, a method call), as long as PyTorch dispatches them through ``__torch_function__``."""

    def __init__(self, functions: dict, operators: dict | None = None):
        super().__init__()
        self.functions = functions
        self.operators = operators or {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = self.functions.get(func)
        if name is None and _isinstance(func, _operator_types):
            name = self.operators.get(_packet(func))  # torch.ops.aten.X(...) or torch.ops.aten.X.default(...)
            name = None if name is None else f"{func} (behind {name})"
        if name is not None:
            _refuse(name)
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def forbid(*dotted_names: str) -> Iterator[None]:
    """Within the block, calling any of the named functions raises :class:`ForbiddenFunctionError`.

    ``with forbid("torch.nn.functional.scaled_dot_product_attention"): learner_attention(q, k, v)``

    Three layers, so that no route is left open: the named attributes are replaced; a
    ``TorchFunctionMode`` catches the original functions however they are reached (an alias, a
    tensor method) and calls through ``torch.ops``; a ``TorchDispatchMode`` stops the ATen
    operators behind the names (:data:`ATEN_ROUTES`), whatever Python or C++ route led there.
    Everything else (``exp``, ``amax``, ``matmul``, and the backward pass) runs as usual, if
    more slowly: compute the oracle outside the block.
    """
    saved, originals, operators = [], {}, {}
    try:
        for dotted in dotted_names:
            for operator in aten_operators(dotted):
                operators.setdefault(operator, dotted)
            if dotted.startswith("torch.ops."):
                if not aten_operators(dotted):
                    raise ValueError(f"cannot resolve {dotted!r}: no such ATen operator")
                continue  # an operator itself: the modes stop every call of it and of its overloads
            owner, attr = _resolve(dotted)
            original = getattr(owner, attr)
            originals[original] = dotted

            def blocked(*args, _name=dotted, **kwargs):
                _refuse(_name)

            setattr(owner, attr, blocked)
            saved.append((owner, attr, original))
        with _Forbidden(originals, operators), _ForbiddenOps(operators):
            yield
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)


def assert_close(actual, expected: torch.Tensor, *, atol: float = 1e-5, rtol: float = 1e-5,
                 name: str = "result", check_dtype: bool = True) -> None:
    """Fail with a clear message unless ``actual`` is a plain tensor equal to ``expected``.

    NaN and infinities must match position for position (``-inf`` where ``-inf`` is expected).
    Only exact ``torch.Tensor`` objects are accepted (no subclasses, proxies or objects with
    their own ``__eq__``), and the comparison uses references captured at import time.
    """
    if _type(actual) is not _Tensor:
        raise AssertionError(f"{name} should be a torch.Tensor, got {_type(actual).__name__}")
    if _type(expected) is not _Tensor:
        raise AssertionError(f"the expected value for {name} is not a plain tensor (a test bug)")
    got_shape, want_shape = _tuple(_shape(actual)), _tuple(_shape(expected))
    if got_shape != want_shape:
        raise AssertionError(f"{name} has shape {got_shape}, expected {want_shape}")
    if check_dtype and _dtype(actual) != _dtype(expected):
        raise AssertionError(f"{name} has dtype {_dtype(actual)}, expected {_dtype(expected)}")
    got = _to(_detach(actual), "cpu", _float64)
    want = _to(_detach(expected), "cpu", _float64)
    if not _equal(_isnan(got), _isnan(want)):
        raise AssertionError(f"{name} has NaN in {int(_item(_sum(_isnan(got))))} places, "
                             f"expected {int(_item(_sum(_isnan(want))))}")
    finite = _isfinite(want)
    infinite = _isinf(want)
    if not _equal(_getitem(got, infinite), _getitem(want, infinite)) or not _item(_all(_isfinite(_getitem(got, finite)))):
        raise AssertionError(f"{name} does not have infinities exactly where expected")
    got_finite, want_finite = _getitem(got, finite), _getitem(want, finite)
    error = _abs(_sub(got_finite, want_finite))
    allowed = _add(_mul(_abs(want_finite), rtol), atol)
    if _numel(error) and not _item(_all(_le(error, allowed))):
        worst = int(_item(_argmax(_sub(error, allowed))))
        raise AssertionError(f"{name} differs from the expected values: largest error {_item(_max(error)):.3g} "
                             f"(value {_item(got_finite[worst]):.6g}, expected {_item(want_finite[worst]):.6g})")


class RaisedAsExpected:
    """What :func:`expect_error` returns: the error, shown as one short "ok" line.

    A test cell that ends with ``expect_error(...)`` then displays ``ok: ValueError raised as
    expected`` rather than the error itself (which reads like a failure). The error is ``.error``.
    """

    __slots__ = ("error",)

    def __init__(self, error: BaseException):
        self.error = error

    def __repr__(self) -> str:
        return f"ok: {_type(self.error).__name__} raised as expected"


def expect_error(error_type, function, *args, match: str | None = None, **kwargs):
    """Call ``function(*args, **kwargs)``, which must raise ``error_type`` (a class, or a tuple of
    classes any of which will do).

    Returns a :class:`RaisedAsExpected` (always true; the error is its ``.error``), whose display is
    a short "ok" line. Fails with a message that says what happened instead: nothing raised, or
    another kind of error. ``match`` is a regular expression that the error's message must contain,
    for the exercises that ask for a message naming the problem.
    """
    called = getattr(function, "__name__", "")
    called = "" if called in ("", "<lambda>") else f" from {called}"
    expected = (" or ".join(kind.__name__ for kind in error_type) if _isinstance(error_type, _tuple)
                else error_type.__name__)
    try:
        function(*args, **kwargs)
    except error_type as raised:
        if match is not None and not _search(match, str(raised)):
            raise AssertionError(f"the {_type(raised).__name__} should mention {match!r}; its message was: "
                                 f"{raised}") from None
        return RaisedAsExpected(raised)
    except Exception as other:  # noqa: BLE001 - the wrong kind of error is the learner's bug to see
        raise AssertionError(f"expected {expected}{called}, got {_type(other).__name__}: {other}") from None
    raise AssertionError(f"expected {expected}{called}, but nothing was raised")
