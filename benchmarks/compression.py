"""Size, latency and loss of the compressed variants of the course's small GPT (chapter 10).

For each variant of ``transformer_course.small_gpt`` (float32, float16, bfloat16, our weight-only
int8 per channel and int4 in groups of 32, PyTorch's dynamic int8 per tensor and per channel, 50 %
unstructured magnitude pruning, four attention heads removed) it prints

* **size**: bytes that ``torch.save`` writes for what the variant stores (int8 weights and float32
  scales for our int8; two 4-bit values per byte and scales for our int4; the state dict otherwise);
* **latency**: the fastest of ``--repeats`` forward passes on the CPU (the variants take turns, so
  that a change of load hits them alike), batch 1 and batch 8, 128 characters;
* **loss**: validation loss (nats) on the first ``--windows`` windows of 128 characters.

The code of the variants exists once, in chapter 10's reference notebook
(``solutions/10_compression/10_compression.ipynb``): this script executes its imports and the
functions it defines (the answers and the helpers of its experiments) and nothing else.

    python benchmarks/compression.py                        # 1 thread, 200 validation windows
    python benchmarks/compression.py --threads 2 --windows 0 --repeats 30   # 0 windows: the whole split

Not a test: timings depend on the machine and on what else runs on it. It prints the machine, the
date and the load average before and after.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "solutions" / "10_compression" / "10_compression.ipynb"
sys.path.insert(0, str(REPO))


def notebook_functions(namespace: dict) -> dict:
    """Execute the imports and function definitions of the notebook's code cells (not its tests)."""
    import nbformat

    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        tree = ast.parse(source)
        keep = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
        exec(compile(ast.Module(body=keep, type_ignores=[]), str(NOTEBOOK), "exec"), namespace)  # noqa: S102
    return namespace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--windows", type=int, default=200, help="validation windows of 128 characters (0: all)")
    parser.add_argument("--repeats", type=int, default=20, help="timed forward passes per latency measurement")
    args = parser.parse_args()

    import torch
    import transformers

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()       # no notice about the config's loss_type
    import pandas as pd

    from transformer_course import Chapter, Profile, set_seed
    from transformer_course.small_gpt import load_small_gpt, load_small_gpt_tokenizer, shakespeare_splits

    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.timezone.utc)
    set_seed(0)
    profile = Profile("cpu", "benchmark")
    ns = notebook_functions({"P": profile, "course": Chapter(profile, torch.device("cpu"), 0), "SEQUENCE": 128})
    vocab = load_small_gpt_tokenizer()
    ns["train_ids"], ns["val_ids"] = shakespeare_splits(vocab)
    ns["WINDOWS"] = args.windows or None
    model = load_small_gpt()
    ns["model"] = model
    loss_of = ns["loss_of"]

    # the four least important heads by the notebook's ablation score (on the same windows)
    base = loss_of(model)
    scores = torch.zeros(model.config.n_layer, model.config.n_head)
    for layer in range(model.config.n_layer):
        for head in range(model.config.n_head):
            hooks = ns["mask_heads"](model, {layer: [head]})
            scores[layer, head] = loss_of(model) - base
            for hook in hooks:
                hook.remove()
    plan = ns["least_important"](scores, 4)

    saved = ns["saved_bytes"]
    state_int8 = ns["quantized_state"](model, ns["quantize_per_channel"])
    state_int4 = ns["quantized_state"](model, lambda w: (lambda q, s: (ns["pack_int4"](q), s))(*ns["quantize_groupwise"](w, 4, 32)))
    half, bf16 = ns["copy"].deepcopy(model).half(), ns["copy"].deepcopy(model).to(torch.bfloat16)
    torch_pt, torch_pc = ns["torch_int8"](model), ns["torch_int8"](model, per_channel_scales=True)
    heads = ns["heads_removed"](model, plan)
    variants = {
        "float32": (model, saved(model.state_dict())),
        "float16": (half, saved(half.state_dict())),
        "bfloat16": (bf16, saved(bf16.state_dict())),
        "int8 per channel (ours, weight-only)": (ns["fake_quantized"](model, lambda w: ns["per_channel"](w, 8)), saved(state_int8)),
        "int4 groups of 32 (ours, weight-only)": (ns["fake_quantized"](model, lambda w: ns["group_wise"](w, 4)), saved(state_int4)),
        "PyTorch dynamic int8, per tensor": (torch_pt, saved(torch_pt.state_dict())),
        "PyTorch dynamic int8, per channel": (torch_pc, saved(torch_pc.state_dict())),
        "50 % unstructured (dense storage)": (ns["pruned"](model, 0.5, "global")[0], saved(model.state_dict())),
        f"4 heads removed {dict(plan)}": (heads, saved(heads.state_dict())),
    }
    models = {name: m for name, (m, _) in variants.items()}
    latency = {batch: ns["latencies_ms"](models, batch, 128, args.repeats) for batch in (1, 8)}
    rows = []
    for name, (m, size) in variants.items():
        rows.append({"variant": name, "size (kB)": round(size / 1000, 1),
                     "size / float32": round(size / variants["float32"][1], 3),
                     "latency b1 (ms)": round(latency[1][name], 2),
                     "latency b8 (ms)": round(latency[8][name], 2),
                     "val loss": round(ns["validation_loss"](m.cpu(), ns["val_ids"], max_windows=ns["WINDOWS"]), 4)})
    table = pd.DataFrame(rows).set_index("variant")
    load_after = os.getloadavg()
    machine = " ".join(part for part in (platform.machine(), platform.system(), platform.processor()) if part)
    print(f"date: {started:%Y-%m-%d %H:%M} UTC | machine: {machine}, {os.cpu_count()} CPUs | torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
          f"quantized engine {torch.backends.quantized.engine}")
    print(f"load average (1, 5, 15 min): before {tuple(round(x, 2) for x in load_before)}, "
          f"after {tuple(round(x, 2) for x in load_after)}")
    print(f"validation windows: {args.windows or 'all'} of 128 characters | latency: fastest of {args.repeats} "
          f"forward passes (the variants taking turns), sequence 128")
    with pd.option_context("display.width", 200, "display.max_columns", 10):
        print(table.to_string())


if __name__ == "__main__":
    main()
