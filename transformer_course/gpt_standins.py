"""Stand-ins for the tests of chapter 07: PyTorch's attention behind the course GPT's interface.

Chapter 07's exercises build on one another: the block holds an attention module, the GPT holds
blocks, ``generate`` runs the GPT. So that one mistake costs the points of its own exercise only,
the tests of a later exercise swap the learner's earlier class for a stand-in while they build
the model::

    from transformer_course.gpt_standins import TorchCausalSelfAttention, standing_in

    with standing_in(globals(), CausalSelfAttention=TorchCausalSelfAttention):
        block = Block(config)          # the learner's Block, holding PyTorch's attention

``TorchCausalSelfAttention`` has the parameters of GPT-2's attention (``c_attn``, ``c_proj``) and
computes with ``torch.nn.functional.multi_head_attention_forward``, the function behind
``nn.MultiheadAttention``. It is *not* an answer to the exercise: its "cache" holds the inputs of
the earlier positions (reshaped to the documented cache shape), not their keys and values, and
every call projects them again. It is correct where the tests use it, and slow.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F


class TorchCausalSelfAttention(nn.Module):
    """Causal multi-head self-attention computed by PyTorch, with the course GPT's interface.

    ``config`` needs ``n_embd``, ``n_head``, ``dropout`` and ``bias``. ``forward(x, past_kv=None)``
    returns ``(y, cache)``; ``cache`` is a pair of tensors of shape ``(B, n_head, P + T, n_embd //
    n_head)`` that a later call takes as ``past_kv``.
    """

    def __init__(self, config) -> None:
        super().__init__()
        width, heads = config.n_embd, config.n_head
        if width % heads:
            raise ValueError(f"the width {width} does not split into {heads} heads")
        self.n_head, self.n_embd, self.p_drop = heads, width, config.dropout
        self.c_attn = nn.Linear(width, 3 * width, bias=config.bias)
        self.c_proj = nn.Linear(width, width, bias=config.bias)
        self.drop_out = nn.Dropout(p=config.dropout)

    def forward(self, x: torch.Tensor, past_kv=None):
        if x.ndim != 3 or x.shape[-1] != self.n_embd:
            raise ValueError(f"expected inputs of shape (batch, positions, {self.n_embd}), got {list(x.shape)}")
        new = x.shape[1]
        if past_kv is None:
            everything = x
        else:                                   # the stored inputs, back to (B, P, n_embd)
            everything = torch.cat([past_kv[0].transpose(1, 2).flatten(2), x], dim=1)
        total = everything.shape[1]
        key_position = torch.arange(total, device=x.device)
        query_position = key_position[total - new:]
        blocked = key_position[None, :] > query_position[:, None]          # nn.MultiheadAttention: True = blocked
        out, _ = F.multi_head_attention_forward(
            x.transpose(0, 1), everything.transpose(0, 1), everything.transpose(0, 1),
            self.n_embd, self.n_head, self.c_attn.weight, self.c_attn.bias, None, None, False,
            self.p_drop, self.c_proj.weight, self.c_proj.bias,
            training=self.training, need_weights=False, attn_mask=blocked)
        stored = everything.unflatten(-1, (self.n_head, -1)).transpose(1, 2)  # (B, n_head, P + T, hd)
        return self.drop_out(out.transpose(0, 1)), (stored, stored)


@contextlib.contextmanager
def standing_in(namespace: dict, **replacements) -> Iterator[None]:
    """While the block runs, ``namespace[name]`` is ``replacements[name]``; restored afterwards.

    Pass the notebook's ``globals()``: a class defined in the notebook looks up the names it
    uses there when it is called, so ``Block(config)`` then builds the stand-in.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value
