"""Speed anchor for chapter 11: the service's generation loop against ``transformers``' own.

The service generates with its own loop (``transformer_course.serving.generate_ids``: prefill, then
one position per step with ``past_key_values``). Is it as fast as ``GPT2LMHeadModel.generate``
with the same weights and the same settings on this machine? This script runs both, greedy,
at batch 1 and batch 8, in one process, and prints tokens per second side by side; it also runs
both without the key/value cache (``use_cache=False``: every step recomputes the whole sequence)
to show what the cache saves.

    OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python benchmarks/generation_speed.py --reps 5

Repetitions are interleaved (every contestant once per round, the first one rotating from round
to round), so a change in the machine's load during the run hurts no contestant more than
another; the median of the rounds is reported, and the best round (the one least disturbed by
other work on a shared machine) in brackets. Every run's ids are compared with
``transformers``' greedy ids, so a fast wrong loop cannot win.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from transformer_course.serving import generate_ids  # noqa: E402
from transformer_course.small_gpt import load_small_gpt, shakespeare_splits  # noqa: E402


def prompts_from_validation_text(batch_size: int, prompt_chars: int) -> torch.Tensor:
    """``batch_size`` prompts of ``prompt_chars`` characters, from spread-out places of the
    validation split (equal lengths: no padding, so both loops do exactly the same work)."""
    validation = shakespeare_splits()[1]
    stride = (len(validation) - prompt_chars) // batch_size
    return torch.stack([validation[i * stride: i * stride + prompt_chars] for i in range(batch_size)])


def course_loop(model, prompts: torch.Tensor, new_tokens: int, use_cache: bool) -> torch.Tensor:
    result = generate_ids(model, list(prompts), max_new_tokens=new_tokens, temperature=0, use_cache=use_cache)
    return torch.stack(result.ids)


def transformers_loop(model, prompts: torch.Tensor, new_tokens: int, use_cache: bool) -> torch.Tensor:
    with torch.inference_mode():
        out = model.generate(prompts, attention_mask=torch.ones_like(prompts), do_sample=False,
                             max_new_tokens=new_tokens, min_new_tokens=new_tokens, use_cache=use_cache,
                             pad_token_id=0, eos_token_id=None)
    return out[:, prompts.shape[1]:].cpu()


CONTESTANTS = {
    ("course", True): course_loop,
    ("transformers", True): transformers_loop,
    ("course", False): course_loop,
    ("transformers", False): transformers_loop,
}


def machine_description() -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    import transformers

    return [f"machine: {platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} logical CPUs",
            f"python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}, "
            f"torch threads {torch.get_num_threads()}",
            f"load average (1, 5, 15 min): {load}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=200)
    parser.add_argument("--prompt-chars", type=int, default=32)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_small_gpt().to(args.device)
    print("\n".join(machine_description()))
    print(f"device {args.device}; small GPT, greedy, {args.prompt_chars}-character prompts, "
          f"{args.new_tokens} new tokens, {args.reps} interleaved rounds\n")

    for batch_size in args.batch_sizes:
        prompts = prompts_from_validation_text(batch_size, args.prompt_chars).to(args.device)
        reference = transformers_loop(model, prompts, args.new_tokens, True)
        names = list(CONTESTANTS)
        for name in names:  # warm-up, and every loop must give transformers' greedy ids
            assert torch.equal(CONTESTANTS[name](model, prompts, args.new_tokens, name[1]), reference), name
        seconds = {name: [] for name in names}
        for round_ in range(args.reps):
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                if args.device == "cuda":
                    torch.cuda.synchronize()
                started = time.perf_counter()
                CONTESTANTS[name](model, prompts, args.new_tokens, name[1])
                if args.device == "cuda":
                    torch.cuda.synchronize()
                seconds[name].append(time.perf_counter() - started)
        tokens = batch_size * args.new_tokens
        speed = {name: tokens / statistics.median(times) for name, times in seconds.items()}
        best = {name: tokens / min(times) for name, times in seconds.items()}  # the least disturbed round
        print(f"batch {batch_size}: new tokens per second, median of {args.reps} rounds (best round in brackets); "
              f"same ids as transformers' greedy")
        for cache in (True, False):
            course, theirs = (("course", cache), ("transformers", cache))
            print(f"  {'cached  ' if cache else 'uncached'}  course loop {speed[course]:7.1f} ({best[course]:7.1f})   "
                  f"transformers generate {speed[theirs]:7.1f} ({best[theirs]:7.1f})   "
                  f"course/transformers {speed[course] / speed[theirs]:4.2f} ({best[course] / best[theirs]:4.2f})")
        print(f"  the cache speeds the course loop up {speed[('course', True)] / speed[('course', False)]:.2f}x "
              f"and transformers' {speed[('transformers', True)] / speed[('transformers', False)]:.2f}x\n")
    print(machine_description()[-1].replace("load average", "load average at the end"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
