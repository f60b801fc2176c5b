"""Character-level language-modelling data: a vocabulary, a train/validation split, batches.

Used by the GPT chapter (and by anyone who wants a quick next-character task)::

    from transformer_course import load_text
    from transformer_course.charlm import CharTokenizer, split_tokens, random_batches, sequential_batches

    text = load_text("tinyshakespeare.txt")
    vocab = CharTokenizer.from_text(text)
    train, val = split_tokens(vocab.encode(text), val_fraction=0.1)   # first 90 %, last 10 %
    x, y = next(random_batches(train, block_size=64, batch_size=12))  # y is x shifted by one

A batch is a pair ``(x, y)`` of int64 tensors of shape ``(batch_size, block_size)`` with
``y[:, t] == x[:, t + 1]`` inside the text: the target at every position is the next
character. Nothing here is an exercise of the course.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import torch


class CharTokenizer:
    """Characters to ids and back: every distinct character of a text, ids in sorted character order.

    No special tokens (a language model reading a continuous text needs none). Not to be confused
    with :class:`transformer_course.tasks.CharVocab`, which puts ``<pad>``, ``<bos>`` and ``<eos>``
    first for the sequence-to-sequence tasks of chapter 06.
    """

    def __init__(self, chars: Iterable[str]):
        chars = list(chars)
        if not chars:
            raise ValueError("a vocabulary needs at least one character")
        if any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise ValueError("every vocabulary entry must be a single character")
        if len(set(chars)) != len(chars):
            raise ValueError("the vocabulary has repeated characters")
        self.itos: list[str] = chars
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        """Every distinct character of ``text``, sorted."""
        if not text:
            raise ValueError("cannot build a vocabulary from an empty text")
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def size(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"CharTokenizer({len(self)} characters)"

    def encode(self, text: str) -> torch.Tensor:
        """A 1-D int64 tensor of character ids; ``ValueError`` names a character not in the vocabulary."""
        try:
            return torch.tensor([self.stoi[c] for c in text], dtype=torch.long)
        except KeyError as error:
            raise ValueError(f"character {error.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids (a 1-D tensor, or any iterable of ints)."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"decode takes a 1-D sequence of ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        out = []
        for i in ids:
            if not 0 <= int(i) < len(self.itos):
                raise ValueError(f"id {int(i)} is outside the vocabulary (size {len(self.itos)})")
            out.append(self.itos[int(i)])
        return "".join(out)


def split_tokens(tokens: torch.Tensor, val_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``1 - val_fraction`` of a 1-D token sequence for training, the rest for validation.

    Contiguous, not shuffled: the validation text is text the model never saw, not sentences
    interleaved with the training ones.
    """
    if tokens.dim() != 1:
        raise ValueError(f"split_tokens takes a 1-D tensor, got shape {tuple(tokens.shape)}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    n_train = int(len(tokens) * (1.0 - val_fraction))
    if n_train < 2 or len(tokens) - n_train < 2:
        raise ValueError(f"{len(tokens)} tokens are too few to split with val_fraction={val_fraction}")
    return tokens[:n_train], tokens[n_train:]


def _check(tokens: torch.Tensor, block_size: int, batch_size: int) -> None:
    if tokens.dim() != 1:
        raise ValueError(f"tokens must be a 1-D tensor, got shape {tuple(tokens.shape)}")
    if block_size < 1 or batch_size < 1:
        raise ValueError(f"block_size and batch_size must be positive, got {block_size} and {batch_size}")
    if len(tokens) < block_size + 1:
        raise ValueError(f"{len(tokens)} tokens are too few for windows of block_size={block_size} (+1 target)")


def random_batches(tokens: torch.Tensor, block_size: int, batch_size: int, *,
                   generator: torch.Generator | None = None,
                   device: torch.device | str | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """An endless stream of ``(x, y)`` windows at random offsets, ``y`` shifted by one.

    ``generator`` (a CPU ``torch.Generator``) makes the stream repeatable.
    """
    _check(tokens, block_size, batch_size)
    tokens = tokens.long()
    offsets = torch.arange(block_size + 1)
    while True:
        start = torch.randint(len(tokens) - block_size, (batch_size,), generator=generator)
        window = tokens[start[:, None] + offsets]                  # (batch_size, block_size + 1)
        x, y = window[:, :-1], window[:, 1:]
        if device is not None:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        yield x, y


def sequential_batches(tokens: torch.Tensor, block_size: int, batch_size: int, *,
                       device: torch.device | str | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Every non-overlapping window of the sequence once, in order, for evaluation.

    Window ``i`` predicts ``tokens[i * block_size + 1 : (i + 1) * block_size + 1]``; the tail that
    does not fill a whole window is left out. The last batch may be smaller than ``batch_size``.
    """
    _check(tokens, block_size, batch_size)
    tokens = tokens.long()
    n_windows = (len(tokens) - 1) // block_size
    x_all = tokens[: n_windows * block_size].view(n_windows, block_size)
    y_all = tokens[1: n_windows * block_size + 1].view(n_windows, block_size)
    for first in range(0, n_windows, batch_size):
        x, y = x_all[first:first + batch_size], y_all[first:first + batch_size]
        if device is not None:
            x, y = x.to(device), y.to(device)
        yield x, y
