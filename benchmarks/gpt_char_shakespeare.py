"""Speed benchmark: the GPT chapter's character-level Shakespeare training run.

Executes the reference notebook ``solutions/07_gpt/07_gpt.ipynb`` from top to bottom with a
run profile (``cpu`` by default) and reads the metrics that its training cell writes to the file
named by ``GPT_METRICS_JSON``: the wall time of training (the progress-bar loop, including its
periodic validation estimates), the final validation loss (mean next-character loss over the
validation split in non-overlapping windows of ``block_size``; the whole split on the cpu and gpu
profiles) and the peak resident memory of the kernel process. The model code exists once, in the
notebook; this script only runs it.

    python benchmarks/gpt_char_shakespeare.py                 # cpu profile
    python benchmarks/gpt_char_shakespeare.py --profile gpu   # nanoGPT's shakespeare_char size
    python benchmarks/gpt_char_shakespeare.py --json out.json # also save the metrics

Not a test: timings depend on the machine and on what else runs on it. Reference on the course's
2-core CPU machine: nanoGPT's documented CPU recipe (4 layers, 4 heads, 128 wide, block 64, batch 12,
2,000 iterations) took 4 min 18 s and reached validation loss 1.886. The chapter's cpu profile
aims at a validation loss <= 1.88 in at most half that time (<= 129 s of training).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "solutions" / "07_gpt" / "07_gpt.ipynb"


def run(profile: str, timeout: int) -> dict:
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as scratch:
        metrics_path = Path(scratch) / "metrics.json"
        env_before = {k: os.environ.get(k) for k in ("COURSE_PROFILE", "GPT_METRICS_JSON", "CI")}
        os.environ["COURSE_PROFILE"] = profile
        os.environ["GPT_METRICS_JSON"] = str(metrics_path)
        os.environ.pop("CI", None)
        try:
            notebook = nbformat.read(str(NOTEBOOK), as_version=4)
            client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(NOTEBOOK.parent)}})
            start = time.perf_counter()
            client.execute()
            notebook_seconds = time.perf_counter() - start
        finally:
            for key, value in env_before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        if not metrics_path.is_file():
            raise SystemExit("the notebook ran but wrote no metrics: is GPT_METRICS_JSON read by its training cell?")
        metrics = json.loads(metrics_path.read_text())
    metrics["notebook_seconds"] = round(notebook_seconds, 1)
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="cpu", choices=("smoke", "cpu", "gpu"))
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed for one notebook cell")
    parser.add_argument("--json", help="also write the metrics to this file")
    args = parser.parse_args(argv)
    try:
        load = os.getloadavg()
        print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
              f"on {os.cpu_count()} CPUs (other busy programs slow the run down)")
    except OSError:
        pass
    metrics = run(args.profile, args.timeout)
    recipe = metrics["config"]
    print(f"profile {metrics['profile']} on {metrics['device']} ({metrics['torch_threads']} torch threads): "
          f"{recipe['n_layer']} layers x {recipe['n_embd']}, block {recipe['block_size']}, "
          f"{recipe['steps']} steps of batch {recipe['batch_size']}, {recipe['parameters']:,} parameters")
    print(f"training wall time:  {metrics['train_seconds']:.1f} s")
    print(f"validation loss:     {metrics['val_loss']:.4f}  ({metrics['val_loss_measured_on']})")
    peak = metrics["peak_memory_mb"]
    print(f"peak memory:         {'unknown' if peak is None else f'{peak} MB'} (resident set of the notebook kernel)")
    print(f"whole notebook:      {metrics['notebook_seconds']:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(metrics, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
