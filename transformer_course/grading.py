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


class _Forbidden(torch.overrides.TorchFunctionMode):
    """Catches calls to the forbidden functions however they are reached (an alias saved
    earlier, a method call), as long as PyTorch dispatches them through ``__torch_function__``."""

    def __init__(self, functions: dict):
        super().__init__()
        self.functions = functions

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = self.functions.get(func)
        if name is not None:
            raise ForbiddenFunctionError(f"{name} is not allowed in this exercise: the point is to write it yourself")
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def forbid(*dotted_names: str) -> Iterator[None]:
    """Within the block, calling any of the named functions raises :class:`ForbiddenFunctionError`.

    ``with forbid("torch.nn.functional.scaled_dot_product_attention"): learner_attention(q, k, v)``
    """
    saved, originals = [], {}
    try:
        for dotted in dotted_names:
            owner, attr = _resolve(dotted)
            original = getattr(owner, attr)
            originals[original] = dotted

            def blocked(*args, _name=dotted, **kwargs):
                raise ForbiddenFunctionError(
                    f"{_name} is not allowed in this exercise: the point is to write it yourself"
                )

            setattr(owner, attr, blocked)
            saved.append((owner, attr, original))
        with _Forbidden(originals):
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
    expected = (" or ".join(kind.__name__ for kind in error_type) if isinstance(error_type, tuple)
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
