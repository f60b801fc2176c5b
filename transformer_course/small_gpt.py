"""The course's small pre-trained GPT: a character-level Hugging Face ``GPT2LMHeadModel``.

Chapters 10 (compression) and 11 (serving) need a trained language model that is not a
learner's answer to chapter 07. ``tools/pretrain_small_gpt.py`` trains one on Tiny
Shakespeare (the first 90 % of the text; the last 10 % is the validation split, as in
chapter 07) and saves it in ``data/models/small-gpt/``::

    from transformer_course.small_gpt import load_small_gpt, load_small_gpt_tokenizer, validation_loss

    model = load_small_gpt()                    # GPT2LMHeadModel, eval mode
    vocab = load_small_gpt_tokenizer()          # transformer_course.charlm.CharTokenizer
    validation_loss(model, max_windows=64)      # mean next-character cross-entropy, nats

The loss is ``transformers``' own (``model(x, labels=x).loss``), so nothing here is a graded
answer of any chapter.
"""
from __future__ import annotations

import json

import torch

from .charlm import CharTokenizer, split_tokens
from .data import data_dir, data_path, load_text

SMALL_GPT = "models/small-gpt"


def small_gpt_dir():
    path = data_dir() / SMALL_GPT
    data_path(f"{SMALL_GPT}/config.json")  # a clear error if the checkpoint is missing
    return path


def load_small_gpt_tokenizer() -> CharTokenizer:
    """The character vocabulary the small GPT was trained with (every character of Tiny Shakespeare)."""
    chars = json.loads(data_path(f"{SMALL_GPT}/vocab.json").read_text(encoding="utf-8"))
    return CharTokenizer(chars)


def load_small_gpt(*, dtype: torch.dtype = torch.float32):
    """The course's small GPT (``transformers.GPT2LMHeadModel``) in eval mode, read from ``data/``."""
    import transformers
    from transformers import GPT2LMHeadModel

    verbosity = transformers.logging.get_verbosity()
    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        model = GPT2LMHeadModel.from_pretrained(str(small_gpt_dir()), local_files_only=True, dtype=dtype)
    finally:
        transformers.logging.set_verbosity(verbosity)
        if bars:
            transformers.utils.logging.enable_progress_bar()
    # Name the loss outright: left unset, transformers warns on every ``labels=`` call that it does
    # not recognise the class name as a loss type (and then uses this one anyway).
    model.loss_type = "ForCausalLM"
    return model.eval()


def small_gpt_record() -> dict:
    """How the small GPT was trained (steps, time, losses), as written by the training script."""
    return json.loads(data_path(f"{SMALL_GPT}/training.json").read_text(encoding="utf-8"))


def shakespeare_splits(tokenizer: CharTokenizer | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Tiny Shakespeare as character ids: the first 90 % (training) and the last 10 % (validation)."""
    tokenizer = tokenizer or load_small_gpt_tokenizer()
    return split_tokens(tokenizer.encode(load_text("tinyshakespeare.txt")), val_fraction=0.1)


@torch.no_grad()
def validation_loss(model, tokens: torch.Tensor | None = None, *, block_size: int = 128,
                    max_windows: int | None = None, batch_size: int = 32) -> float:
    """Mean next-character cross-entropy (nats) over non-overlapping windows of ``tokens``.

    ``tokens`` defaults to the validation split; ``max_windows`` keeps only the first windows
    (the smoke profile). Every window counts ``block_size - 1`` predictions (Hugging Face shifts
    the labels inside the model), so every window weighs the same.
    """
    if tokens is None:
        tokens = shakespeare_splits()[1]
    tokens = tokens.long().flatten()
    n_windows = len(tokens) // block_size
    if max_windows is not None:
        n_windows = min(n_windows, max_windows)
    if n_windows < 1:
        raise ValueError(f"{len(tokens)} tokens are too few for one window of {block_size}")
    windows = tokens[: n_windows * block_size].view(n_windows, block_size)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total = 0.0
    for first in range(0, n_windows, batch_size):
        x = windows[first:first + batch_size].to(device)
        total += model(x, labels=x).loss.float().item() * len(x)
    model.train(was_training)
    return total / n_windows
