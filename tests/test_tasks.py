"""The synthetic sequence-to-sequence tasks: vocabulary, splits, determinism, batches."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
import torch

from transformer_course import tasks
from transformer_course.tasks import (CharVocab, DATE_STYLES, format_date, make_batch, make_date_task,
                                      make_reverse_task, make_sort_task, pad_sequences)


def test_vocab_has_specials_first_and_round_trips():
    vocab = CharVocab("cab")
    assert vocab.tokens == ["<pad>", "<bos>", "<eos>", "a", "b", "c"] and len(vocab) == 6
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2)
    ids = vocab.encode("abc", bos=True, eos=True)
    assert ids == [1, 3, 4, 5, 2]
    assert vocab.decode(ids) == "abc"
    assert vocab.decode([3, 0, 4, 2, 5]) == "ab", "pad is skipped and decoding stops at eos"
    assert vocab.decode(torch.tensor([1, 5, 5])) == "cc"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.decode([9])
    with pytest.raises(ValueError, match="single characters"):
        CharVocab(["ab"])


def test_format_date_writes_every_style():
    day = dt.date(2021, 3, 3)
    assert {style: format_date(day, style) for style in DATE_STYLES} == DATE_STYLES
    assert format_date(dt.date(1999, 12, 21), "ordinal of month year") == "21st of December 1999"
    assert format_date(dt.date(2000, 1, 12), "ordinal of month year") == "12th of January 2000"
    assert format_date(dt.date(2000, 1, 22), "ordinal of month year") == "22nd of January 2000"
    assert format_date(dt.date(2000, 1, 13), "ordinal of month year") == "13th of January 2000"
    assert format_date(dt.date(1905, 7, 4), "dd.mm.yyyy") == "04.07.1905"
    with pytest.raises(ValueError, match="unknown date style"):
        format_date(day, "yyyymmdd")


def test_date_task_targets_are_iso_and_splits_hold_distinct_dates():
    task = make_date_task(n_train=3000, n_val=200, n_test=300, seed=1)
    assert (len(task.train), len(task.val), len(task.test)) == (3000, 200, 300)
    for source, target in itertools.chain(task.train[:200], task.val, task.test):
        day = dt.date.fromisoformat(target)
        assert source in {format_date(day, style) for style in DATE_STYLES}
        assert task.vocab.decode(task.vocab.encode(source)) == source
        assert task.vocab.decode(task.vocab.encode(target)) == target
    train, val, test = ({t for _, t in split} for split in (task.train, task.val, task.test))
    assert len(train) == 3000 and len(val) == 200 and len(test) == 300, "dates are distinct within a split"
    assert not (train & val or train & test or val & test), "no calendar date is in two splits"
    assert {s for s, _ in task.test}.isdisjoint({s for s, _ in task.train})
    assert task.max_lengths() == (max(len(s) for s, _ in task.train + task.val + task.test), 10)
    styles_seen = {style for style in DATE_STYLES
                   for s, t in task.train if s == format_date(dt.date.fromisoformat(t), style)}
    assert styles_seen == set(DATE_STYLES), "every style is used"


def test_date_task_is_deterministic_and_test_split_does_not_depend_on_train_size():
    a = make_date_task(n_train=500, n_val=50, n_test=100, seed=3)
    b = make_date_task(n_train=500, n_val=50, n_test=100, seed=3)
    c = make_date_task(n_train=2000, n_val=80, n_test=100, seed=3)
    d = make_date_task(n_train=500, n_val=50, n_test=100, seed=4)
    assert (a.train, a.val, a.test) == (b.train, b.val, b.test)
    assert c.test == a.test, "the held-out split is the same whatever n_train and n_val are"
    assert d.test != a.test
    one_style = make_date_task(n_train=50, n_val=5, n_test=5, styles=["dd.mm.yyyy"])
    assert all(s[2] == "." and s[5] == "." for s, _ in one_style.train)


def test_date_task_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_train"):
        make_date_task(n_train=0)
    with pytest.raises(ValueError, match="unknown date style"):
        make_date_task(n_train=10, styles=["nope"])
    with pytest.raises(ValueError, match="only"):
        make_date_task(n_train=400, n_val=1, n_test=1, first_year=2000, last_year=2000)
    with pytest.raises(ValueError, match="first_year"):
        make_date_task(n_train=10, first_year=2001, last_year=2000)


@pytest.mark.parametrize("make, transform", [(make_reverse_task, lambda s: s[::-1]),
                                             (make_sort_task, lambda s: "".join(sorted(s)))])
def test_string_tasks(make, transform):
    task = make(n_train=400, n_val=50, n_test=60, seed=2, min_len=2, max_len=7)
    sources = [s for s, _ in task.train + task.val + task.test]
    assert len(sources) == len(set(sources)) == 510, "sources are distinct across all splits"
    for source, target in task.train + task.val + task.test:
        assert 2 <= len(source) <= 7 and set(source) <= set("0123456789") and target == transform(source)
    again = make(n_train=900, n_val=10, n_test=60, seed=2, min_len=2, max_len=7)
    assert again.test == task.test
    assert len(task.vocab) == 13
    with pytest.raises(ValueError, match="distinct strings"):
        make(n_train=100, n_val=5, n_test=5, min_len=1, max_len=2, alphabet="ab")
    with pytest.raises(ValueError, match="min_len"):
        make(n_train=10, min_len=3, max_len=2)
    with pytest.raises(ValueError, match="alphabet"):
        make(n_train=10, alphabet="aa")


def test_make_batch_builds_teacher_forcing_views_and_masks():
    vocab = CharVocab("abcd")
    batch = make_batch([("ab", "cd"), ("abcd", "d")], vocab)
    a, b, c, d = (vocab.encode(ch)[0] for ch in "abcd")
    assert batch.src.tolist() == [[a, b, 0, 0], [a, b, c, d]]
    assert batch.tgt_in.tolist() == [[1, c, d], [1, d, 0]]
    assert batch.tgt_out.tolist() == [[c, d, 2], [d, 2, 0]]
    assert batch.src_padding_mask.tolist() == [[False, False, True, True], [False] * 4]
    assert batch.tgt_padding_mask.tolist() == [[False] * 3, [False, False, True]]
    assert batch.src.dtype == torch.long and batch.src_padding_mask.dtype == torch.bool
    assert len(batch) == 2
    moved = batch.to("cpu")
    assert torch.equal(moved.tgt_out, batch.tgt_out)
    with pytest.raises(ValueError):
        make_batch([], vocab)
    assert pad_sequences([[1], [2, 3, 4]], pad_id=9).tolist() == [[1, 9, 9], [2, 3, 4]]
    with pytest.raises(ValueError):
        pad_sequences([])


def test_batches_cover_every_pair_each_epoch_and_repeat_with_the_seed():
    vocab = CharVocab("0123456789")
    pairs = [(str(i), str(i)[::-1]) for i in range(100, 110)]
    stream = tasks.batches(pairs, vocab, batch_size=3, seed=5)
    epoch = [next(stream) for _ in range(3)]              # 10 pairs, batches of 3: 3 per epoch, tail dropped
    assert all(len(b) == 3 for b in epoch)
    seen = [vocab.decode(row) for b in epoch for row in b.src]
    assert len(set(seen)) == 9 and set(seen) <= {s for s, _ in pairs}
    again = tasks.batches(pairs, vocab, batch_size=3, seed=5)
    assert all(torch.equal(next(again).src, b.src) for b in epoch)
    small = tasks.batches(pairs[:2], vocab, batch_size=5)
    assert len(next(small)) == 2, "a split smaller than the batch still yields its pairs"
    with pytest.raises(ValueError):
        next(tasks.batches(pairs, vocab, batch_size=0))
