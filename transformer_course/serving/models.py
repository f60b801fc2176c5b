"""The two models the service serves, loaded once when the app is built.

* ``small-gpt``: the course's character-level ``GPT2LMHeadModel`` (``transformer_course.small_gpt``)
  with its ``CharTokenizer``;
* ``small-bert-sentiment``: the small BERT fine-tuned on the sentiment sentences by
  ``tools/finetune_small_bert_sentiment.py`` (a ``BertForSequenceClassification`` with its
  WordPiece tokenizer), saved in ``data/models/small-bert-sentiment/``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import torch

from ..bert import CLS_ID, PAD_ID, SEP_ID
from ..data import data_dir, data_path

SENTIMENT_CLASSIFIER = "models/small-bert-sentiment"
CLASSIFIER_MAX_TOKENS = 64  # [CLS] + 62 WordPiece tokens + [SEP], as in fine-tuning


def _quietly(load):
    """Run ``load()`` without ``transformers``' info messages and progress bars on stderr."""
    import transformers

    verbosity = transformers.logging.get_verbosity()
    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        return load()
    finally:
        transformers.logging.set_verbosity(verbosity)
        if bars:
            transformers.utils.logging.enable_progress_bar()


def load_sentiment_classifier():
    """``(model, tokenizer, labels)``: the fine-tuned sentiment classifier in eval mode."""
    from tokenizers import Tokenizer
    from transformers import BertForSequenceClassification

    data_path(f"{SENTIMENT_CLASSIFIER}/config.json")  # a clear error if the checkpoint is missing
    folder = data_dir() / SENTIMENT_CLASSIFIER
    model = _quietly(lambda: BertForSequenceClassification.from_pretrained(str(folder), local_files_only=True))
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    return model.eval(), tokenizer, labels


def sentiment_classifier_record() -> dict:
    """How the classifier was fine-tuned (epochs, time, validation and test accuracy)."""
    return json.loads(data_path(f"{SENTIMENT_CLASSIFIER}/training.json").read_text(encoding="utf-8"))


@dataclass
class ServiceModels:
    """Everything the service computes with: the GPT and the classifier, each with its tokenizer."""

    gpt: torch.nn.Module
    gpt_tokenizer: object          # transformer_course.charlm.CharTokenizer
    classifier: torch.nn.Module
    classifier_tokenizer: object   # tokenizers.Tokenizer (WordPiece)
    labels: list[str]
    names: tuple[str, str] = ("small-gpt", "small-bert-sentiment")

    @classmethod
    def load(cls) -> "ServiceModels":
        from ..small_gpt import load_small_gpt, load_small_gpt_tokenizer

        classifier, classifier_tokenizer, labels = load_sentiment_classifier()
        return cls(gpt=load_small_gpt(), gpt_tokenizer=load_small_gpt_tokenizer(), classifier=classifier,
                   classifier_tokenizer=classifier_tokenizer, labels=labels)

    def classifier_ids(self, text: str) -> list[int]:
        """``[CLS] text [SEP]`` as WordPiece ids, cut to ``CLASSIFIER_MAX_TOKENS``."""
        body = self.classifier_tokenizer.encode(text, add_special_tokens=False).ids[: CLASSIFIER_MAX_TOKENS - 2]
        return [CLS_ID, *body, SEP_ID]

    @property
    def classifier_pad_id(self) -> int:
        return PAD_ID
