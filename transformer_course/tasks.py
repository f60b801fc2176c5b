"""Synthetic sequence-to-sequence tasks: small, exact, and generated from a seed.

An encoder-decoder needs pairs ``(source text, target text)``. These tasks make them on the
fly, so a chapter can train a translation-like model in minutes on a laptop and measure it
exactly (a prediction is either the target string or it is not):

* :func:`make_date_task` -- date normalisation: ``"3 March 2021"``, ``"March 3, 2021"``,
  ``"03.03.2021"``, ... -> ``"2021-03-03"`` (ISO 8601). The output reorders the input, so
  cross-attention has something interesting to learn.
* :func:`make_reverse_task` -- reverse a string of digits: ``"40213"`` -> ``"31204"``.
* :func:`make_sort_task` -- sort the digits of a string: ``"40213"`` -> ``"01234"``.

Every task returns a :class:`Seq2SeqTask` with deterministic train / validation / test splits
(the same seed always gives the same lists) whose *sources* are disjoint; the date task is
stricter and keeps whole calendar dates apart, so no test date appears in training in any
format. A :class:`CharVocab` maps characters to ids with ``PAD = 0``, ``BOS = 1``, ``EOS = 2``,
and :func:`make_batch` / :func:`batches` turn pairs into padded tensors for teacher forcing.
"""
from __future__ import annotations

import datetime as _dt
import random
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import torch

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

#: The source formats of the date task, each shown for 3 March 2021.
DATE_STYLES = {
    "day month year": "3 March 2021",
    "month day, year": "March 3, 2021",
    "day mon year": "3 Mar 2021",
    "ordinal of month year": "3rd of March 2021",
    "dd.mm.yyyy": "03.03.2021",
    "yyyy/m/d": "2021/3/3",
}


class CharVocab:
    """Characters <-> integer ids, with ``<pad>`` = 0, ``<bos>`` = 1 and ``<eos>`` = 2.

    ``CharVocab("abc")`` has 6 tokens: the three specials, then the characters in sorted order.
    """

    def __init__(self, chars: Iterable[str]):
        chars = sorted(set(chars))
        for ch in chars:
            if len(ch) != 1:
                raise ValueError(f"a CharVocab holds single characters, got {ch!r}")
        self.tokens: list[str] = list(SPECIALS) + chars
        self._index = {tok: i for i, tok in enumerate(self.tokens)}
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} tokens: {''.join(self.tokens[len(SPECIALS):])!r} + {list(SPECIALS)})"

    def encode(self, text: str, *, bos: bool = False, eos: bool = False) -> list[int]:
        """Ids of the characters of ``text``, optionally with ``<bos>`` first and ``<eos>`` last."""
        unknown = sorted({ch for ch in text if ch not in self._index})
        if unknown:
            raise ValueError(f"characters {unknown} are not in the vocabulary")
        ids = [self._index[ch] for ch in text]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``: ``<bos>`` and ``<pad>`` are skipped, and decoding stops at ``<eos>``."""
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.tokens):
                raise ValueError(f"token id {i} is outside the vocabulary of {len(self)} tokens")
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id):
                continue
            out.append(self.tokens[i])
        return "".join(out)


@dataclass(frozen=True)
class Seq2SeqTask:
    """A task: its pairs ``(source, target)`` in three disjoint splits, and one shared vocabulary."""

    name: str
    train: list[tuple[str, str]]
    val: list[tuple[str, str]]
    test: list[tuple[str, str]]
    vocab: CharVocab

    def max_lengths(self) -> tuple[int, int]:
        """The longest source and the longest target, in characters, over all splits."""
        pairs = self.train + self.val + self.test
        return max(len(s) for s, _ in pairs), max(len(t) for _, t in pairs)

    def __repr__(self) -> str:
        return (f"Seq2SeqTask({self.name!r}: {len(self.train)} train, {len(self.val)} val, "
                f"{len(self.test)} test pairs, {len(self.vocab)} tokens)")


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def format_date(date: _dt.date, style: str) -> str:
    """``date`` written in one of the :data:`DATE_STYLES` (``"day month year"``, ...)."""
    d, m, y = date.day, date.month, date.year
    name = MONTHS[m - 1]
    if style == "day month year":
        return f"{d} {name} {y}"
    if style == "month day, year":
        return f"{name} {d}, {y}"
    if style == "day mon year":
        return f"{d} {name[:3]} {y}"
    if style == "ordinal of month year":
        return f"{_ordinal(d)} of {name} {y}"
    if style == "dd.mm.yyyy":
        return f"{d:02d}.{m:02d}.{y:04d}"
    if style == "yyyy/m/d":
        return f"{y}/{m}/{d}"
    raise ValueError(f"unknown date style {style!r}; choose from {list(DATE_STYLES)}")


def _check_sizes(n_train: int, n_val: int, n_test: int) -> None:
    for name, n in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")


def make_date_task(n_train: int = 30_000, n_val: int = 500, n_test: int = 1_000, *, seed: int = 0,
                   first_year: int = 1900, last_year: int = 2099,
                   styles: Sequence[str] | None = None) -> Seq2SeqTask:
    """Date normalisation: a date in one of several formats -> ``YYYY-MM-DD``.

    Distinct calendar dates between 1 January ``first_year`` and 31 December ``last_year`` are
    drawn in random order (from ``seed``) and dealt out: the first ``n_test`` to the test split,
    the next ``n_val`` to validation, and the following ``n_train`` to training. Each date is then written in a style
    drawn at random from ``styles`` (all of :data:`DATE_STYLES` by default). No calendar date
    is in two splits.
    """
    _check_sizes(n_train, n_val, n_test)
    styles = list(DATE_STYLES) if styles is None else list(styles)
    if not styles:
        raise ValueError("styles must name at least one date style")
    for style in styles:
        if style not in DATE_STYLES:
            raise ValueError(f"unknown date style {style!r}; choose from {list(DATE_STYLES)}")
    if not 1 <= first_year <= last_year <= 9999:
        raise ValueError(f"need 1 <= first_year <= last_year <= 9999, got {first_year}, {last_year}")
    start, stop = _dt.date(first_year, 1, 1), _dt.date(last_year, 12, 31)
    n_days = (stop - start).days + 1
    if n_train + n_val + n_test > n_days:
        raise ValueError(f"asked for {n_train + n_val + n_test} dates but {first_year}-{last_year} "
                         f"has only {n_days}")
    rng = random.Random(seed)
    offsets = list(range(n_days))
    rng.shuffle(offsets)   # the test dates come first, so they never depend on n_val or n_train
    chosen = [start + _dt.timedelta(days=i) for i in offsets[: n_test + n_val + n_train]]

    def pairs(block):
        return [(format_date(d, rng.choice(styles)), d.isoformat()) for d in block]

    test, val, train = pairs(chosen[:n_test]), pairs(chosen[n_test:n_test + n_val]), pairs(chosen[n_test + n_val:])
    chars = set("".join(format_date(_dt.date(2000, m, d), s)
                        for m in range(1, 13) for d in range(1, 29) for s in DATE_STYLES))
    chars |= set("0123456789-")
    return Seq2SeqTask("dates", train, val, test, CharVocab(chars))


def _string_task(name: str, transform, n_train: int, n_val: int, n_test: int, seed: int,
                 min_len: int, max_len: int, alphabet: str) -> Seq2SeqTask:
    _check_sizes(n_train, n_val, n_test)
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    if not alphabet or len(set(alphabet)) != len(alphabet):
        raise ValueError(f"alphabet must be a non-empty string of distinct characters, got {alphabet!r}")
    available = sum(len(alphabet) ** n for n in range(min_len, max_len + 1))
    total = n_train + n_val + n_test
    if total > available // 2:
        raise ValueError(f"asked for {total} distinct strings but lengths {min_len}-{max_len} over "
                         f"{len(alphabet)} characters give only {available}; allow longer strings")
    rng = random.Random(seed)
    seen: set[str] = set()
    splits = []
    for n in (n_test, n_val, n_train):   # test first, so the held-out split never depends on n_train
        split = []
        while len(split) < n:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(min_len, max_len)))
            if text not in seen:
                seen.add(text)
                split.append((text, transform(text)))
        splits.append(split)
    test, val, train = splits
    return Seq2SeqTask(name, train, val, test, CharVocab(alphabet))


def make_reverse_task(n_train: int = 20_000, n_val: int = 500, n_test: int = 1_000, *, seed: int = 0,
                      min_len: int = 1, max_len: int = 12, alphabet: str = "0123456789") -> Seq2SeqTask:
    """Reverse a string: ``"40213"`` -> ``"31204"``. Sources are distinct across all splits."""
    return _string_task("reverse", lambda s: s[::-1], n_train, n_val, n_test, seed, min_len, max_len, alphabet)


def make_sort_task(n_train: int = 20_000, n_val: int = 500, n_test: int = 1_000, *, seed: int = 0,
                   min_len: int = 1, max_len: int = 12, alphabet: str = "0123456789") -> Seq2SeqTask:
    """Sort the characters of a string: ``"40213"`` -> ``"01234"``. Sources are distinct across all splits."""
    return _string_task("sort", lambda s: "".join(sorted(s)), n_train, n_val, n_test, seed, min_len, max_len,
                        alphabet)


def pad_sequences(seqs: Sequence[Sequence[int]], pad_id: int = 0) -> torch.Tensor:
    """Right-pad lists of ids into one ``(len(seqs), longest)`` int64 tensor."""
    if len(seqs) == 0:
        raise ValueError("pad_sequences needs at least one sequence")
    longest = max(len(s) for s in seqs)
    out = torch.full((len(seqs), longest), pad_id, dtype=torch.long)
    for row, seq in enumerate(seqs):
        out[row, : len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
    return out


@dataclass
class Batch:
    """A padded batch for teacher forcing.

    ``src`` (B, S) source ids; ``tgt_in`` (B, T) = ``<bos>`` + target (what the decoder reads);
    ``tgt_out`` (B, T) = target + ``<eos>`` (what it must predict, one step ahead); all int64 and
    right-padded with ``<pad>`` = 0. ``src_padding_mask`` (B, S) and ``tgt_padding_mask`` (B, T)
    are torch.bool with **True at padding**, the convention of ``key_padding_mask`` in
    ``torch.nn.MultiheadAttention`` and ``torch.nn.Transformer*`` layers.
    """

    src: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor
    src_padding_mask: torch.Tensor
    tgt_padding_mask: torch.Tensor

    def to(self, device) -> "Batch":
        return Batch(*(t.to(device) for t in (self.src, self.tgt_in, self.tgt_out,
                                              self.src_padding_mask, self.tgt_padding_mask)))

    def __len__(self) -> int:
        return self.src.shape[0]


def make_batch(pairs: Sequence[tuple[str, str]], vocab: CharVocab, device=None) -> Batch:
    """Encode and pad ``pairs`` into a :class:`Batch` (on ``device`` if given)."""
    if len(pairs) == 0:
        raise ValueError("make_batch needs at least one pair")
    src = pad_sequences([vocab.encode(s) for s, _ in pairs], vocab.pad_id)
    tgt_in = pad_sequences([vocab.encode(t, bos=True) for _, t in pairs], vocab.pad_id)
    tgt_out = pad_sequences([vocab.encode(t, eos=True) for _, t in pairs], vocab.pad_id)
    batch = Batch(src, tgt_in, tgt_out, src == vocab.pad_id, tgt_out == vocab.pad_id)
    return batch if device is None else batch.to(device)


def batches(pairs: Sequence[tuple[str, str]], vocab: CharVocab, batch_size: int, *, seed: int = 0,
            device=None) -> Iterator[Batch]:
    """Endless shuffled batches: every pair once per epoch, a new order each epoch (from ``seed``)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if len(pairs) == 0:
        raise ValueError("batches needs at least one pair")
    rng = random.Random(seed)
    order = list(range(len(pairs)))
    while True:
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            if len(chunk) < batch_size and start > 0:
                break   # drop the short tail so every batch has batch_size pairs
            yield make_batch([pairs[i] for i in chunk], vocab, device)
