"""Train the course's small BERT and save it in ``data/models/small-bert/``.

Chapters 08 and 09 fine-tune this checkpoint; training it takes longer than a chapter should,
so it is trained once, here, and shipped with the data. Re-run this script to reproduce it
(same seed, same data; a different CPU or PyTorch build gives slightly different weights):

    .venv/bin/python tools/pretrain_small_bert.py --minutes 15 --threads 1

What it does, all offline:

1. trains a lower-casing WordPiece tokenizer (4,096 tokens) with the ``tokenizers`` library on
   every Tiny Shakespeare line and every sentiment sentence (``transformer_course.bert``);
2. packs each Shakespeare speech into pieces of at most 64 tokens (``[CLS] ... [SEP]``) and adds
   each sentiment sentence as a piece of its own (labels unused);
3. trains ``transformers.BertForMaskedLM`` (4 layers, 128 wide, 4 heads, 512 feed-forward) with
   masked-language modelling only, masking with ``transformers``' own
   ``DataCollatorForLanguageModeling`` (15 %; 80/10/10), AdamW, warm-up then linear decay,
   for a fixed number of steps;
4. writes ``config.json``, ``model.safetensors``, ``tokenizer.json`` and ``training.json``
   (steps, tokens, seconds, the loss curve and the held-out masked-LM loss).
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from transformer_course.bert import (CLS_ID, PAD_ID, SEP_ID, SPECIAL_TOKENS, pretraining_texts,  # noqa: E402
                                     shakespeare_documents, train_wordpiece)
from transformer_course.data import load_sentiment  # noqa: E402

OUT = REPO / "data" / "models" / "small-bert"
MAX_TOKENS = 64


def pieces(tokenizer) -> list[list[int]]:
    """Every training piece as token ids with [CLS] and [SEP]."""
    body = MAX_TOKENS - 2
    result = []
    for document in shakespeare_documents():
        ids: list[int] = []
        for line in document:
            ids += tokenizer.encode(line, add_special_tokens=False).ids
        for start in range(0, len(ids), body):
            chunk = ids[start:start + body]
            if len(chunk) >= 4:
                result.append([CLS_ID, *chunk, SEP_ID])
    for sentence, _, _ in load_sentiment():
        result.append([CLS_ID, *tokenizer.encode(sentence, add_special_tokens=False).ids[:body], SEP_ID])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="training time budget")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from transformers import BertConfig, BertForMaskedLM, DataCollatorForLanguageModeling, PreTrainedTokenizerFast

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    wordpiece = train_wordpiece(pretraining_texts(), vocab_size=4096)
    hf_tokenizer = PreTrainedTokenizerFast(tokenizer_object=wordpiece, pad_token="[PAD]", unk_token="[UNK]",
                                           cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    collator = DataCollatorForLanguageModeling(hf_tokenizer, mlm=True, mlm_probability=0.15)
    data = pieces(wordpiece)
    random.shuffle(data)
    held_out, data = data[:500], data[500:]
    print(f"{len(data)} training pieces, {sum(map(len, data))} tokens; {len(held_out)} held out")

    config = BertConfig(vocab_size=wordpiece.get_vocab_size(), hidden_size=128, num_hidden_layers=4,
                        num_attention_heads=4, intermediate_size=512, max_position_embeddings=128,
                        type_vocab_size=2, pad_token_id=PAD_ID, hidden_act="gelu", layer_norm_eps=1e-12)
    model = BertForMaskedLM(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)

    def batch(rows: list[list[int]]) -> dict:
        return collator([{"input_ids": row} for row in rows])

    # Measure the step time first, so that the schedule's length fits the time budget.
    model.train()
    probe_start = time.perf_counter()
    for _ in range(5):
        loss = model(**batch(random.sample(data, args.batch_size))).loss
        loss.backward()
        optimizer.zero_grad(set_to_none=True)
    step_seconds = (time.perf_counter() - probe_start) / 5
    steps = max(10, int(args.minutes * 60 / (step_seconds * 1.1)))
    warmup = max(1, steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (steps - s) / (steps - warmup)))
    print(f"{step_seconds:.3f} s per step -> {steps} steps")

    losses, tokens, start = [], 0, time.perf_counter()
    order: list[int] = []
    for step in range(steps):
        if len(order) < args.batch_size:
            order += random.sample(range(len(data)), len(data))
        rows = [data[order.pop()] for _ in range(args.batch_size)]
        tokens += sum(map(len, rows))
        loss = model(**batch(rows)).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(round(loss.item(), 4))
        if step % 200 == 0 or step == steps - 1:
            print(f"step {step:6d}  loss {sum(losses[-200:]) / len(losses[-200:]):.3f}  "
                  f"{time.perf_counter() - start:6.0f} s", flush=True)
    seconds = time.perf_counter() - start

    model.eval()
    torch.manual_seed(args.seed + 1)
    with torch.no_grad():
        held_out_loss = sum(model(**batch(held_out[i:i + 100])).loss.item() for i in range(0, len(held_out), 100)) / 5

    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out))
    wordpiece.save(str(args.out / "tokenizer.json"))
    record = {
        "script": "tools/pretrain_small_bert.py", "seed": args.seed, "steps": steps, "batch_size": args.batch_size,
        "learning_rate": args.lr, "tokens_seen": tokens, "seconds": round(seconds, 1),
        "threads": args.threads, "machine": f"{platform.machine()} {platform.system()}", "torch": torch.__version__,
        "training_pieces": len(data), "held_out_pieces": len(held_out), "special_tokens": list(SPECIAL_TOKENS),
        "held_out_masked_lm_loss": round(held_out_loss, 4),
        "loss_every_50_steps": [round(sum(losses[i:i + 50]) / len(losses[i:i + 50]), 4) for i in range(0, steps, 50)],
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in record.items() if k != "loss_every_50_steps"}, indent=1))


if __name__ == "__main__":
    main()
