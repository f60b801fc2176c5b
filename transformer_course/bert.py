"""What chapters 08 (BERT) and 09 (parameter-efficient fine-tuning) share: a WordPiece
tokenizer, the sentiment task as tensors, the course's small pre-trained BERT, and a
fine-tuning loop for a sentence classifier.

The small BERT is a Hugging Face ``BertForMaskedLM`` checkpoint that
``tools/pretrain_small_bert.py`` trained on this project's data (Tiny Shakespeare and the
sentiment sentences, masked-language modelling only) and saved in
``data/models/small-bert/``. Nothing here is a graded answer of any chapter: the masking
used for that pre-training is ``transformers``' own ``DataCollatorForLanguageModeling``.
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from .data import SENTIMENT_SOURCES, data_dir, data_path, load_sentiment, load_text

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")  # ids 0, 1, 2, 3, 4, in this order
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))
SMALL_BERT = "models/small-bert"


# --- Tokenizer -------------------------------------------------------------------------------

def train_wordpiece(texts: Iterable[str], vocab_size: int = 4096, *, min_frequency: int = 2):
    """Train a lower-casing WordPiece tokenizer (BERT's) with the ``tokenizers`` library.

    The special tokens get ids 0-4 (``SPECIAL_TOKENS``); ``encode(a, b)`` gives
    ``[CLS] a [SEP] b [SEP]`` with type ids 0 for the first part and 1 for the second.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must exceed the {len(SPECIAL_TOKENS)} special tokens, got {vocab_size}")
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=list(SPECIAL_TOKENS), show_progress=False)
    tokenizer.train_from_iterator(list(texts), trainer=trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", CLS_ID), ("[SEP]", SEP_ID)])
    return tokenizer


def load_small_bert_tokenizer():
    """The WordPiece tokenizer saved with the course's small BERT (``tokenizers.Tokenizer``)."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(data_path(f"{SMALL_BERT}/tokenizer.json")))


def encode_sentences(tokenizer, sentences: Sequence[str], max_length: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """``[CLS] sentence [SEP]`` ids, truncated and padded to the longest: ``(ids, attention_mask)``.

    Both are int64 of shape ``(len(sentences), L)``; the mask is 1 for tokens, 0 for padding.
    """
    if not sentences:
        raise ValueError("encode_sentences needs at least one sentence")
    if max_length < 3:
        raise ValueError(f"max_length must leave room for [CLS] and [SEP], got {max_length}")
    rows = []
    for sentence in sentences:
        ids = tokenizer.encode(sentence, add_special_tokens=False).ids[: max_length - 2]
        rows.append([CLS_ID, *ids, SEP_ID])
    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
    return ids, (ids != PAD_ID).long()


# --- Text for pre-training ---------------------------------------------------------------------

def shakespeare_documents(text: str | None = None) -> list[list[str]]:
    """Tiny Shakespeare as documents: each speech (a block between blank lines) without its
    speaker line, as a list of its lines. Speeches of a single line are kept."""
    text = load_text() if text is None else text
    documents = []
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if lines and lines[0].endswith(":"):
            lines = lines[1:]
        if lines:
            documents.append(lines)
    return documents


def pretraining_texts() -> list[str]:
    """Unlabelled text for masked-language modelling: every Shakespeare line and every
    sentiment sentence (their labels are not used)."""
    lines = [line for document in shakespeare_documents() for line in document]
    return lines + [sentence for sentence, _, _ in load_sentiment()]


# --- The sentiment task ----------------------------------------------------------------------

@dataclass
class SentimentSplit:
    """Labelled sentences as rows ``(sentence, label, source)``."""

    rows: list[tuple[str, int, str]]

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def sentences(self) -> list[str]:
        return [row[0] for row in self.rows]

    @property
    def labels(self) -> torch.Tensor:
        return torch.tensor([row[1] for row in self.rows], dtype=torch.long)

    def subset(self, n: int, seed: int = 0) -> "SentimentSplit":
        """``n`` rows, half of each label (the odd one positive), drawn with ``seed``."""
        if not 2 <= n <= len(self.rows):
            raise ValueError(f"a subset needs between 2 and {len(self.rows)} rows, got {n}")
        rng = random.Random(seed)
        by_label = {0: [r for r in self.rows if r[1] == 0], 1: [r for r in self.rows if r[1] == 1]}
        for rows in by_label.values():
            rng.shuffle(rows)
        n_pos = (n + 1) // 2
        if n_pos > len(by_label[1]) or n - n_pos > len(by_label[0]):
            raise ValueError(f"not enough rows of each label for a balanced subset of {n}")
        chosen = by_label[1][:n_pos] + by_label[0][: n - n_pos]
        rng.shuffle(chosen)
        return SentimentSplit(chosen)


@dataclass
class SentimentTask:
    train: SentimentSplit
    val: SentimentSplit
    test: SentimentSplit


def sentiment_task(*, test_sources: Sequence[str] | None = None, test_fraction: float = 0.2,
                   val_fraction: float = 0.1, seed: int = 0) -> SentimentTask:
    """Train, validation and test splits of the labelled sentences.

    The 3,000 sentences hold 21 repeats (the same sentence again, ignoring case; 20 within a source, one across two);
    only the first of each is kept, so that no test sentence is also a training sentence.
    By default every source and label is split in the same proportions (stratified), with
    ``seed``. With ``test_sources`` those sources are the whole test set (domain shift) and
    the others are split into train and validation.
    """
    first_of_each: dict[str, tuple[str, int, str]] = {}
    for row in load_sentiment():
        first_of_each.setdefault(row[0].lower(), row)
    rows = list(first_of_each.values())
    rng = random.Random(seed)
    train, val, test = [], [], []
    if test_sources is not None:
        unknown = set(test_sources) - set(SENTIMENT_SOURCES)
        if unknown or not test_sources or set(test_sources) == set(SENTIMENT_SOURCES):
            raise ValueError(f"test_sources must be a non-empty proper subset of {SENTIMENT_SOURCES}, got {test_sources}")
        test = [row for row in rows if row[2] in test_sources]
        rest = [row for row in rows if row[2] not in test_sources]
        rng.shuffle(rest)
        n_val = round(len(rest) * val_fraction)
        val, train = rest[:n_val], rest[n_val:]
        return SentimentTask(SentimentSplit(train), SentimentSplit(val), SentimentSplit(test))
    if not (0 < test_fraction < 1 and 0 < val_fraction < 1 and test_fraction + val_fraction < 1):
        raise ValueError(f"fractions must be in (0, 1) and sum below 1, got {test_fraction} and {val_fraction}")
    for source in SENTIMENT_SOURCES:
        for label in (0, 1):
            group = [row for row in rows if row[2] == source and row[1] == label]
            rng.shuffle(group)
            n_test, n_val = round(len(group) * test_fraction), round(len(group) * val_fraction)
            test += group[:n_test]
            val += group[n_test:n_test + n_val]
            train += group[n_test + n_val:]
    for split in (train, val, test):
        rng.shuffle(split)
    return SentimentTask(SentimentSplit(train), SentimentSplit(val), SentimentSplit(test))


# --- The course's small pre-trained BERT ----------------------------------------------------

def small_bert_dir():
    path = data_dir() / SMALL_BERT
    data_path(f"{SMALL_BERT}/config.json")  # a clear error if the checkpoint is missing
    return path


def small_bert_config():
    """The ``transformers.BertConfig`` of the course's small BERT."""
    from transformers import BertConfig

    return BertConfig.from_pretrained(str(small_bert_dir()), local_files_only=True)


def load_small_bert(kind: str = "classifier", *, num_labels: int = 2, seed: int = 0):
    """The course's pre-trained small BERT as a Hugging Face model, read from ``data/``.

    ``kind="masked-lm"`` gives ``BertForMaskedLM`` (the whole checkpoint); ``"encoder"`` gives
    ``BertModel``; ``"classifier"`` gives ``BertForSequenceClassification`` whose pooler and
    classifier are new (seeded with ``seed``), since pre-training was masked-LM only.
    """
    import transformers
    from transformers import BertForMaskedLM, BertForSequenceClassification, BertModel

    classes = {"masked-lm": BertForMaskedLM, "encoder": BertModel, "classifier": BertForSequenceClassification}
    if kind not in classes:
        raise ValueError(f"kind must be one of {sorted(classes)}, got {kind!r}")
    extra = {"num_labels": num_labels} if kind == "classifier" else {}
    torch.manual_seed(seed)
    verbosity = transformers.logging.get_verbosity()
    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.logging.set_verbosity_error()  # "some weights were newly initialised": expected for the heads
    transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bar on stderr in every notebook
    try:
        return classes[kind].from_pretrained(str(small_bert_dir()), local_files_only=True, **extra)
    finally:
        transformers.logging.set_verbosity(verbosity)
        if bars:
            transformers.utils.logging.enable_progress_bar()


def pretraining_record() -> dict:
    """How the small BERT was trained (steps, time, losses), as written by the training script."""
    return json.loads(data_path(f"{SMALL_BERT}/training.json").read_text(encoding="utf-8"))


# --- Fine-tuning a sentence classifier -----------------------------------------------------------

def classifier_logits(model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Logits of a classifier called as ``model(ids, attention_mask=mask)``; Hugging Face's
    output objects are unwrapped to their ``.logits``."""
    out = model(ids, attention_mask=mask)
    return out.logits if hasattr(out, "logits") else out


@torch.no_grad()
def accuracy(model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor, *,
             batch_size: int = 256) -> float:
    """Share of correctly classified rows, in evaluation mode (the mode is restored after)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    for start in range(0, len(ids), batch_size):
        rows = slice(start, start + batch_size)
        width = int(mask[rows].sum(1).max())  # padding is at the end: cut it to this batch's longest row
        logits = classifier_logits(model, ids[rows, :width].to(device), mask[rows, :width].to(device))
        correct += (logits.argmax(-1).cpu() == labels[start:start + batch_size]).sum().item()
    model.train(was_training)
    return correct / len(ids)


@dataclass
class FineTuneResult:
    val_accuracy: list[float] = field(default_factory=list)   # after each epoch
    train_loss: list[float] = field(default_factory=list)     # mean per epoch
    best_epoch: int = -1
    seconds: float = 0.0
    trainable_parameters: int = 0
    steps: int = 0


def trainable_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def fine_tune(model: torch.nn.Module, train: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
              val: tuple[torch.Tensor, torch.Tensor, torch.Tensor], *, epochs: int = 5, lr: float = 1e-4,
              weight_decay: float = 0.01, warmup_fraction: float = 0.1, batch_size: int = 32,
              patience: int | None = None, augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
              regulariser: Callable[[], torch.Tensor] | None = None, after_step: Callable[[int], None] | None = None,
              seed: int = 0, progress: bool = True, desc: str = "fine-tuning") -> FineTuneResult:
    """Train the parameters of ``model`` that require gradients on ``train = (ids, mask, labels)``.

    AdamW with decoupled weight decay (not on biases and LayerNorm weights), linear warm-up over
    ``warmup_fraction`` of the steps then linear decay, one optimiser step per batch. After each
    epoch the validation accuracy is measured; the model ends with the weights of its best epoch
    (early stopping), and training stops after ``patience`` epochs without improvement.
    ``augment(ids, generator)`` may change each training batch's ids; ``regulariser()`` is added
    to every batch's loss (AdaLoRA's orthogonality penalty, say); ``after_step(step)`` runs after
    each optimiser step while the gradients are still there (AdaLoRA's rank allocation). Returns
    the history.
    """
    ids, mask, labels = train
    if len(ids) == 0:
        raise ValueError("fine_tune needs at least one training row")
    if not (ids.shape == mask.shape and labels.shape == ids.shape[:1]):
        raise ValueError(f"ids {tuple(ids.shape)}, mask {tuple(mask.shape)} and labels {tuple(labels.shape)} do not match")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    steps_per_epoch = -(-len(ids) // batch_size)
    total = steps_per_epoch * epochs
    warmup = max(1, round(total * warmup_fraction)) if warmup_fraction > 0 else 0

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    result = FineTuneResult(trainable_parameters=trainable_parameters(model))
    best, best_state, waited = -1.0, None, 0
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=desc, disable=not progress, mininterval=1.0)
    for epoch in bar:
        model.train()
        order = torch.randperm(len(ids), generator=generator)
        losses = []
        for first in range(0, len(ids), batch_size):
            rows = order[first:first + batch_size]
            width = int(mask[rows].sum(1).max())  # padding is at the end: cut it to this batch's longest row
            batch_ids = ids[rows, :width] if augment is None else augment(ids[rows, :width], generator)
            logits = classifier_logits(model, batch_ids.to(device), mask[rows, :width].to(device))
            loss = torch.nn.functional.cross_entropy(logits, labels[rows].to(device))
            losses.append(loss.item())
            if regulariser is not None:
                loss = loss + regulariser()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            if after_step is not None:
                after_step(result.steps)
            result.steps += 1
        result.train_loss.append(sum(losses) / len(losses))
        result.val_accuracy.append(accuracy(model, *val))
        bar.set_postfix(loss=f"{result.train_loss[-1]:.3f}", val=f"{result.val_accuracy[-1]:.3f}", refresh=False)
        if result.val_accuracy[-1] > best:
            best, result.best_epoch, waited = result.val_accuracy[-1], epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if patience is not None and waited >= patience:
                break
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - start
    return result


def as_tensors(tokenizer, split: SentimentSplit, max_length: int = 64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A split as ``(ids, attention_mask, labels)`` for ``fine_tune`` and ``accuracy``."""
    ids, mask = encode_sentences(tokenizer, split.sentences, max_length)
    return ids, mask, split.labels
