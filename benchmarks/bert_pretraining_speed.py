"""Speed benchmark: pre-training throughput of chapter 08's BERT against ``transformers``' BERT.

The course model is the one chapter 08 assembles: the reference answers of
``solutions/08_bert/08_bert.ipynb`` (``BertEmbeddings``, ``BertPooler``, ``BertPreTrainingHeads``,
``pretraining_loss``, ``mask_tokens``) around ``nn.TransformerEncoder`` (the notebook's given
``CourseBertForPreTraining``). The code exists once, in the notebook: this script executes those
cells and nothing else. Side by side, in one process and on the same batches, it times a training
step (forward, backward and an AdamW step) of

* the course model with the MLM and NSP heads and the chapter's ``pretraining_loss``;
* ``transformers.BertForPreTraining`` (MLM + NSP) of the same configuration;
* ``transformers.BertForMaskedLM`` (MLM only) of the same configuration,

and prints tokens per second (every position of the batch counts as a token) and the ratios.

    python benchmarks/bert_pretraining_speed.py                       # 4 layers, 256 wide, seq 128, batch 16
    python benchmarks/bert_pretraining_speed.py --threads 2 --reps 5
    python benchmarks/bert_pretraining_speed.py --json out.json

Not a test: timings depend on the machine and on what else runs on it. Run it with one thread
(the default) on a quiet machine; the repetitions interleave the models, each one first in turn, so
that a change of load affects them alike.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "solutions" / "08_bert" / "08_bert.ipynb"
# the notebook's cells this script needs: the imports, the answers and the given model
NEEDED = ("import copy", "def mask_tokens(", "class BertEmbeddings(", "class BertPooler(",
          "class BertPreTrainingHeads(", "class CourseBert(", "def pretraining_loss(")


def course_namespace() -> dict:
    """Execute the needed code cells of the chapter's reference notebook; return their namespace."""
    import nbformat
    import torch

    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    namespace: dict = {"torch": torch}                  # what the notebook's set-up cell imports
    found = set()
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
            continue                                                   # test cells are not needed
        start = next((key for key in NEEDED if cell.source.lstrip().startswith(key)), None)
        if start is not None:
            exec(compile(cell.source, f"{NOTEBOOK.name}:{start}", "exec"), namespace)  # noqa: S102 - our own notebook
            found.add(start)
    missing = set(NEEDED) - found
    if missing:
        raise SystemExit(f"cells not found in {NOTEBOOK}: {sorted(missing)}")
    return namespace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=4096)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per repetition")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    sys.path.insert(0, str(REPO))
    ns = course_namespace()
    import transformers
    from transformers import BertConfig, BertForMaskedLM, BertForPreTraining

    transformers.logging.set_verbosity_error()
    config = BertConfig(vocab_size=args.vocab, hidden_size=args.width, num_hidden_layers=args.layers,
                        num_attention_heads=args.heads, intermediate_size=4 * args.width,
                        max_position_embeddings=max(512, args.seq))
    torch.manual_seed(0)
    course = ns["init_bert_weights"](ns["CourseBertForPreTraining"](config))
    hf_pre = BertForPreTraining(config)
    hf_mlm = BertForMaskedLM(config)

    gen = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(args.steps):
        ids = torch.randint(5, args.vocab, (args.batch, args.seq), generator=gen)
        ids[:, 0], ids[:, args.seq // 2], ids[:, -1] = 2, 3, 3                    # [CLS] A [SEP] B [SEP]
        types = torch.zeros_like(ids)
        types[:, args.seq // 2 + 1:] = 1
        masked, labels = ns["mask_tokens"](ids, args.vocab, generator=gen)
        batches.append((masked, torch.ones_like(ids), types, labels, torch.randint(0, 2, (args.batch,), generator=gen)))

    def course_step(model, batch):
        ids, mask, types, labels, is_next = batch
        mlm_logits, nsp_logits = model(ids, mask, types)
        return ns["pretraining_loss"](mlm_logits, nsp_logits, labels, is_next)

    def hf_pre_step(model, batch):
        ids, mask, types, labels, is_next = batch
        return model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels,
                     next_sentence_label=1 - is_next).loss

    def hf_mlm_step(model, batch):
        ids, mask, types, labels, _ = batch
        return model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels).loss

    runs = {"course BERT (MLM + NSP)": (course, course_step),
            "transformers BertForPreTraining (MLM + NSP)": (hf_pre, hf_pre_step),
            "transformers BertForMaskedLM (MLM)": (hf_mlm, hf_mlm_step)}
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=1e-4) for name, (model, _) in runs.items()}

    def train(name, batches):
        model, step = runs[name]
        model.train()
        for batch in batches:
            loss = step(model, batch)
            optimizers[name].zero_grad(set_to_none=True)
            loss.backward()
            optimizers[name].step()

    for name in runs:                                                    # warm-up: allocations, kernels
        train(name, batches[:2])
    timings = {name: [] for name in runs}
    names = list(runs)
    for rep in range(args.reps):
        for name in names[rep % len(names):] + names[:rep % len(names)]:  # interleaved, each model first in turn
            start = time.perf_counter()
            train(name, batches)
            timings[name].append(time.perf_counter() - start)

    tokens = args.steps * args.batch * args.seq
    rates = {name: tokens / statistics.median(t) for name, t in timings.items()}
    params = {name: sum(p.numel() for p in model.parameters()) for name, (model, _) in runs.items()}
    print(f"BERT pre-training step (forward + backward + AdamW), torch {torch.__version__}, "
          f"transformers {transformers.__version__}, {args.threads} thread(s)")
    print(f"config: {args.layers} layers, width {args.width}, {args.heads} heads, feed-forward {4 * args.width}, "
          f"vocab {args.vocab}, seq {args.seq}, batch {args.batch}; {args.reps} reps of {args.steps} steps (median)")
    print(f"{'model':46} {'parameters':>12} {'tokens/s':>10} {'s/step':>8}")
    for name in runs:
        print(f"{name:46} {params[name]:>12,} {rates[name]:>10,.0f} {statistics.median(timings[name]) / args.steps:>8.3f}")
    course_name = "course BERT (MLM + NSP)"
    ratio_pre = rates[course_name] / rates["transformers BertForPreTraining (MLM + NSP)"]
    ratio_mlm = rates[course_name] / rates["transformers BertForMaskedLM (MLM)"]
    print(f"course / BertForPreTraining: {ratio_pre:.2f}x   course / BertForMaskedLM: {ratio_mlm:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "tokens_per_second": rates,
                                         "seconds": timings, "parameters": params,
                                         "ratio_vs_pretraining": ratio_pre, "ratio_vs_masked_lm": ratio_mlm}, indent=1))


if __name__ == "__main__":
    main()
