"""Helpers for the test cells of the chapters.

Test cells compare a learner's result with an independent oracle. Every comparison
goes through :func:`assert_close` so that it checks the *kind* of object first (a plain
``torch.Tensor``, the expected shape and dtype) and only then the numbers, with a
message that tells the learner what is wrong. :func:`forbid` makes a PyTorch built-in
unavailable while the learner's code runs, for exercises that re-implement it.
"""
from __future__ import annotations

import contextlib
import importlib
from typing import Iterator

import torch


class ForbiddenFunctionError(RuntimeError):
    """Raised when an exercise calls the built-in it is meant to re-implement."""


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


@contextlib.contextmanager
def forbid(*dotted_names: str) -> Iterator[None]:
    """Within the block, calling any of the named functions raises :class:`ForbiddenFunctionError`.

    ``with forbid("torch.nn.functional.scaled_dot_product_attention"): learner_attention(q, k, v)``
    """
    saved = []
    try:
        for dotted in dotted_names:
            owner, attr = _resolve(dotted)
            original = getattr(owner, attr)

            def blocked(*args, _name=dotted, **kwargs):
                raise ForbiddenFunctionError(
                    f"{_name} is not allowed in this exercise: the point is to write it yourself"
                )

            setattr(owner, attr, blocked)
            saved.append((owner, attr, original))
        yield
    finally:
        for owner, attr, original in reversed(saved):
            setattr(owner, attr, original)


def assert_close(actual, expected: torch.Tensor, *, atol: float = 1e-5, rtol: float = 1e-5,
                 name: str = "result", check_dtype: bool = True) -> None:
    """Fail with a clear message unless ``actual`` is a plain tensor equal to ``expected``.

    NaN and infinities must match position for position (``-inf`` where ``-inf`` is expected).
    """
    if type(actual) is not torch.Tensor:
        raise AssertionError(f"{name} should be a torch.Tensor, got {type(actual).__name__}")
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"{name} has shape {tuple(actual.shape)}, expected {tuple(expected.shape)}")
    if check_dtype and actual.dtype != expected.dtype:
        raise AssertionError(f"{name} has dtype {actual.dtype}, expected {expected.dtype}")
    got = actual.detach().to("cpu", torch.float64)
    want = expected.detach().to("cpu", torch.float64)
    same_nan = torch.equal(torch.isnan(got), torch.isnan(want))
    if not same_nan:
        raise AssertionError(f"{name} has NaN in {int(torch.isnan(got).sum())} places, "
                             f"expected {int(torch.isnan(want).sum())}")
    finite = torch.isfinite(want)
    infinite = torch.isinf(want)
    if not torch.equal(got[infinite], want[infinite]) or not torch.isfinite(got[finite]).all():
        raise AssertionError(f"{name} does not have infinities exactly where expected")
    error = (got[finite] - want[finite]).abs()
    allowed = atol + rtol * want[finite].abs()
    if error.numel() and not bool((error <= allowed).all()):
        worst = int(torch.argmax(error - allowed))
        raise AssertionError(f"{name} differs from the expected values: largest error {error.max().item():.3g} "
                             f"(value {got[finite][worst].item():.6g}, expected {want[finite][worst].item():.6g})")
