"""How the service hands classification requests to the model: a *batcher*.

A batcher is built as ``Batcher(model_fn, max_batch_size=..., max_wait_s=..., pad_id=...)`` and
has two coroutines: ``await batcher.submit(token_ids)`` returns this request's own row of
``model_fn``'s output, and ``await batcher.aclose()`` stops it. ``model_fn(ids, mask)`` takes
int64 ``(B, T)`` ids, right-padded with ``pad_id``, and a mask that is 1 on real tokens.

The package ships only ``NoBatching``: one model call per request, the baseline. Chapter 11 asks
the learner to write a micro-batcher with the same interface; the service loads it with
``--batcher path/to/file.py:ClassName`` (``load_batcher_class``).
"""
from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import torch


def request_as_tensors(token_ids: list[int], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """One request as a batch of one: ``(ids, mask)`` of shape ``(1, T)``."""
    if not isinstance(token_ids, list) or not token_ids:
        raise ValueError("a request is a non-empty list of token ids")
    if not all(isinstance(t, int) and not isinstance(t, bool) for t in token_ids):
        raise ValueError("every token id must be an int")
    ids = torch.tensor([token_ids], dtype=torch.long)
    return ids, torch.ones_like(ids)


class NoBatching:
    """The baseline: every ``submit`` is one call of ``model_fn`` on a batch of one.

    The call runs in a worker thread (``asyncio.to_thread``), so the event loop keeps serving
    other requests (``/health``, say) while the model works.
    """

    def __init__(self, model_fn, *, max_batch_size: int = 8, max_wait_s: float = 0.005, pad_id: int = 0):
        self.model_fn = model_fn
        self.pad_id = pad_id
        self.closed = False

    async def submit(self, token_ids: list[int]):
        if self.closed:
            raise RuntimeError("the batcher is closed")
        ids, mask = request_as_tensors(token_ids, self.pad_id)
        return (await asyncio.to_thread(self.model_fn, ids, mask))[0]

    async def aclose(self) -> None:
        self.closed = True


def load_batcher_class(spec: str | None):
    """The batcher class named by ``"path/to/file.py:ClassName"`` (``None`` gives ``NoBatching``).

    The file is imported as a module of its own (it need not be on ``sys.path``); a clear
    ``ValueError`` says what is wrong with the spec.
    """
    if spec is None:
        return NoBatching
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise ValueError(f"--batcher takes FILE.py:ClassName, got {spec!r}")
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise ValueError(f"batcher file {file} does not exist")
    module_name = f"course_batcher_{abs(hash(str(file)))}"
    module_spec = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module  # dataclasses and pickling look their module up here
    module_spec.loader.exec_module(module)
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        raise ValueError(f"{file} defines no class {name!r}")
    for method in ("submit", "aclose"):
        if not asyncio.iscoroutinefunction(getattr(cls, method, None)):
            raise ValueError(f"{name} needs an async method {method}()")
    return cls
