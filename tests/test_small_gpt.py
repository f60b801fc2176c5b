"""The course's small GPT (chapters 10 and 11): the checkpoint loads, speaks Shakespeare's
characters, and its recorded validation loss is what the helper measures."""
from __future__ import annotations

import pytest
import torch

from transformer_course.small_gpt import (load_small_gpt, load_small_gpt_tokenizer, shakespeare_splits,
                                          small_gpt_record, validation_loss)


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    return load_small_gpt()


def test_the_checkpoint_is_the_documented_gpt2(model):
    config = model.config
    assert type(model).__name__ == "GPT2LMHeadModel" and not model.training
    assert (config.vocab_size, config.n_layer, config.n_head, config.n_embd, config.n_positions) == (65, 4, 4, 128, 256)
    assert sum(p.numel() for p in model.parameters()) == small_gpt_record()["parameters"]
    assert model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr(), "tied embeddings"


def test_the_vocabulary_round_trips_shakespeare():
    vocab = load_small_gpt_tokenizer()
    text = "ROMEO:\nBut soft, what light through yonder window breaks?"
    assert len(vocab) == 65 and vocab.decode(vocab.encode(text)) == text


def test_the_trained_model_beats_a_uniform_guess_by_far(model):
    train, val = shakespeare_splits()
    assert len(val) == small_gpt_record()["validation_characters"]
    loss = validation_loss(model, val, max_windows=16)
    assert loss < 2.2 < torch.log(torch.tensor(65.0)).item(), loss  # uniform guessing: 4.17 nats
    assert loss == pytest.approx(validation_loss(model, max_windows=16)), "the validation split is the default"


def test_the_loss_needs_one_whole_window(model):
    with pytest.raises(ValueError, match="too few"):
        validation_loss(model, torch.zeros(10, dtype=torch.long), block_size=128)


def test_a_bfloat16_copy_loads():
    half = load_small_gpt(dtype=torch.bfloat16)
    assert next(half.parameters()).dtype == torch.bfloat16
