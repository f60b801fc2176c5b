"""transformer_course.charlm: character vocabulary, split and batches for language modelling."""
from __future__ import annotations

import pytest
import torch

from transformer_course import load_text
from transformer_course.charlm import CharTokenizer, random_batches, sequential_batches, split_tokens


def test_vocab_round_trip_and_order():
    vocab = CharTokenizer.from_text("hello, world")
    assert vocab.itos == sorted(set("hello, world")) and len(vocab) == vocab.size == 9
    ids = vocab.encode("world, hello")
    assert ids.dtype == torch.long and ids.shape == (12,)
    assert vocab.decode(ids) == "world, hello"
    assert vocab.decode(ids.tolist()) == "world, hello"
    assert vocab.encode("").shape == (0,) and vocab.decode([]) == ""


def test_vocab_errors_name_the_problem():
    vocab = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match="'z'"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match="1-D"):
        vocab.decode(torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(ValueError):
        CharTokenizer.from_text("")
    with pytest.raises(ValueError, match="repeated"):
        CharTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="single character"):
        CharTokenizer(["ab"])


def test_shakespeare_vocabulary():
    text = load_text("tinyshakespeare.txt")
    vocab = CharTokenizer.from_text(text)
    assert len(vocab) == 65 and vocab.itos[0] == "\n" and vocab.itos[1] == " "


def test_split_is_contiguous_first_then_last():
    tokens = torch.arange(100)
    train, val = split_tokens(tokens, val_fraction=0.1)
    assert torch.equal(train, torch.arange(90)) and torch.equal(val, torch.arange(90, 100))
    with pytest.raises(ValueError):
        split_tokens(tokens, val_fraction=1.0)
    with pytest.raises(ValueError, match="1-D"):
        split_tokens(tokens.view(10, 10))
    with pytest.raises(ValueError, match="too few"):
        split_tokens(torch.arange(3), val_fraction=0.5)


def test_random_batches_are_shifted_windows_and_repeatable():
    tokens = torch.arange(50)
    stream = random_batches(tokens, block_size=8, batch_size=5, generator=torch.Generator().manual_seed(0))
    for _ in range(20):
        x, y = next(stream)
        assert x.shape == y.shape == (5, 8) and x.dtype == y.dtype == torch.long
        assert torch.equal(y, x + 1)                       # the next token at every position
        assert torch.equal(x[:, 1:], x[:, :-1] + 1)        # a contiguous window
        assert int(y.max()) <= 49
    first = next(random_batches(tokens, 8, 5, generator=torch.Generator().manual_seed(1)))
    again = next(random_batches(tokens, 8, 5, generator=torch.Generator().manual_seed(1)))
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    # the last possible window is reachable: offsets 0 .. len - block_size - 1
    starts = set()
    stream = random_batches(torch.arange(12), 8, 64, generator=torch.Generator().manual_seed(2))
    for _ in range(5):
        starts.update(next(stream)[0][:, 0].tolist())
    assert starts == {0, 1, 2, 3}


def test_sequential_batches_cover_the_split_once():
    tokens = torch.arange(35)
    batches = list(sequential_batches(tokens, block_size=4, batch_size=3))
    x = torch.cat([b[0] for b in batches])
    y = torch.cat([b[1] for b in batches])
    assert [len(b[0]) for b in batches] == [3, 3, 2]       # 8 whole windows of 4 (+1 target) fit in 35
    assert torch.equal(x.flatten(), torch.arange(32)) and torch.equal(y.flatten(), torch.arange(1, 33))


def test_batch_arguments_are_checked():
    with pytest.raises(ValueError, match="too few"):
        next(random_batches(torch.arange(8), block_size=8, batch_size=2))
    with pytest.raises(ValueError, match="positive"):
        next(sequential_batches(torch.arange(20), block_size=0, batch_size=2))
    with pytest.raises(ValueError, match="1-D"):
        next(random_batches(torch.zeros(3, 30, dtype=torch.long), block_size=4, batch_size=2))
