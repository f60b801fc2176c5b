"""Train the course's small character-level GPT and save it in ``data/models/small-gpt/``.

Chapters 10 (compression) and 11 (serving) quantise, prune and serve this checkpoint. It is a
``transformers.GPT2LMHeadModel`` (4 layers, 128 wide, 4 heads, 256 positions, no dropout, tied
input and output embeddings) trained on the first 90 % of Tiny Shakespeare with the recipe of
chapter 07's ``cpu`` profile (AdamW, warm-up then cosine decay). The loss is ``transformers``'
own, so the script uses no learner's answer. Re-run it to reproduce the checkpoint (same seed,
same data; another CPU or PyTorch build gives slightly different weights):

    .venv/bin/python tools/pretrain_small_gpt.py --steps 2000 --threads 1

It writes ``config.json``, ``model.safetensors``, ``vocab.json`` (the characters, in id order)
and ``training.json`` (steps, seconds, the loss curve, the validation loss).
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from transformer_course.charlm import CharTokenizer, random_batches, split_tokens  # noqa: E402
from transformer_course.data import load_text  # noqa: E402
from transformer_course.small_gpt import validation_loss  # noqa: E402

OUT = REPO / "data" / "models" / "small-gpt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from transformers import GPT2Config, GPT2LMHeadModel

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    text = load_text("tinyshakespeare.txt")
    vocab = CharTokenizer.from_text(text)
    train, val = split_tokens(vocab.encode(text), val_fraction=0.1)
    config = GPT2Config(vocab_size=len(vocab), n_positions=256, n_embd=128, n_layer=4, n_head=4,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=True,
                        bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.99))
    warmup = 100

    def schedule(step: int) -> float:  # warm-up, then cosine decay to a tenth of the peak
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, args.steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    batches = random_batches(train, args.block_size, args.batch_size, generator=torch.Generator().manual_seed(args.seed))
    losses, start = [], time.perf_counter()
    model.train()
    for step in range(args.steps):
        x, _ = next(batches)
        loss = model(x, labels=x).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if step % 250 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss {sum(losses[-250:]) / len(losses[-250:]):.3f}  "
                  f"{time.perf_counter() - start:6.0f} s", flush=True)
    seconds = time.perf_counter() - start
    val_loss = validation_loss(model, val, block_size=args.block_size)

    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out))
    (args.out / "vocab.json").write_text(json.dumps(vocab.itos, ensure_ascii=False) + "\n", encoding="utf-8")
    record = {
        "script": "tools/pretrain_small_gpt.py", "seed": args.seed, "steps": args.steps,
        "batch_size": args.batch_size, "block_size": args.block_size, "learning_rate": args.lr,
        "tokens_seen": args.steps * args.batch_size * args.block_size, "seconds": round(seconds, 1),
        "threads": args.threads, "machine": f"{platform.machine()} {platform.system()}", "torch": torch.__version__,
        "validation_loss": round(val_loss, 4), "validation_characters": len(val),
        "loss_every_50_steps": [round(sum(losses[i:i + 50]) / len(losses[i:i + 50]), 4) for i in range(0, args.steps, 50)],
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in record.items() if k != "loss_every_50_steps"}, indent=1))


if __name__ == "__main__":
    main()
