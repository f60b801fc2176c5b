"""Fine-tune the course's small BERT on the sentiment sentences and save the classifier.

Chapter 11 serves this classifier next to the small GPT. Fine-tuning takes a few minutes, longer
than a served chapter should wait, so it is done once, here, and the result is shipped in
``data/models/small-bert-sentiment/``. Re-run it to reproduce the checkpoint (same seed, same data;
another CPU or PyTorch build gives slightly different weights):

    OMP_NUM_THREADS=1 .venv/bin/python tools/finetune_small_bert_sentiment.py --epochs 10

What it does, all offline, with nothing but ``transformer_course.bert``:

1. loads the pre-trained small BERT as ``BertForSequenceClassification`` (a new pooler and
   classifier head, seeded) and the WordPiece tokenizer it was pre-trained with;
2. splits the sentiment sentences into train / validation / test (``sentiment_task``, stratified);
3. fine-tunes every weight with ``fine_tune`` (AdamW, warm-up then linear decay), keeping the
   epoch with the best validation accuracy;
4. writes ``config.json`` and ``model.safetensors`` (``save_pretrained``), ``tokenizer.json``
   (the same tokenizer) and ``training.json`` (settings, time, validation and test accuracy).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from transformer_course.bert import (accuracy, as_tensors, fine_tune, load_small_bert,  # noqa: E402
                                     load_small_bert_tokenizer, sentiment_task)

OUT = REPO / "data" / "models" / "small-bert-sentiment"
LABELS = ["negative", "positive"]  # label 0 and label 1 of the sentiment task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    tokenizer = load_small_bert_tokenizer()
    task = sentiment_task(seed=args.seed)
    train, val, test = (as_tensors(tokenizer, split) for split in (task.train, task.val, task.test))
    model = load_small_bert("classifier", num_labels=len(LABELS), seed=args.seed)
    model.config.id2label = dict(enumerate(LABELS))
    model.config.label2id = {label: i for i, label in enumerate(LABELS)}

    started = time.perf_counter()
    history = fine_tune(model, train, val, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                        seed=args.seed, desc="fine-tuning the sentiment classifier")
    test_accuracy = accuracy(model, *test)
    print(f"validation accuracy per epoch: {[round(a, 4) for a in history.val_accuracy]}; "
          f"best epoch {history.best_epoch}; test accuracy {test_accuracy:.4f}")

    args.out.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(str(args.out))
    tokenizer.save(str(args.out / "tokenizer.json"))
    record = {
        "base": "data/models/small-bert (BertForMaskedLM, masked-LM pre-training only)",
        "task": "sentiment_task(seed=%d): train %d, validation %d, test %d sentences"
                % (args.seed, len(task.train), len(task.val), len(task.test)),
        "labels": LABELS, "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
        "seed": args.seed, "threads": args.threads, "steps": history.steps,
        "train_loss": [round(x, 4) for x in history.train_loss],
        "val_accuracy": [round(x, 4) for x in history.val_accuracy],
        "best_epoch": history.best_epoch, "test_accuracy": round(test_accuracy, 4),
        "seconds": round(time.perf_counter() - started, 1),
        "torch": torch.__version__, "machine": platform.machine(), "processor": platform.processor(),
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
