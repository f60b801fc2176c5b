"""A small training loop with a progress bar, shared by every chapter that trains a model."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from tqdm.auto import tqdm


@dataclass
class TrainingLog:
    """What a run recorded: loss per step, evaluations, and wall time."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_metrics: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def metric(self, name: str) -> list[float]:
        return [m[name] for m in self.eval_metrics]


def cosine_with_warmup(step: int, *, warmup_steps: int, total_steps: int, min_ratio: float = 0.1) -> float:
    """Learning-rate multiplier: linear warm-up, then cosine decay to ``min_ratio``."""
    if total_steps <= 0:
        raise ValueError("total_steps must be positive")
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def train(model: torch.nn.Module, batches: Iterator, loss_fn: Callable, optimizer: torch.optim.Optimizer, *,
          steps: int, scheduler=None, clip_grad_norm: float | None = None,
          evaluate: Callable[[], dict] | None = None, eval_every: int = 0,
          desc: str = "training") -> TrainingLog:
    """Run ``steps`` optimisation steps.

    ``batches`` yields whatever ``loss_fn(model, batch)`` needs; ``loss_fn`` returns a scalar
    loss tensor. ``evaluate()`` (optional) returns a dict of metrics and runs every
    ``eval_every`` steps and at the end, with the model in eval mode and gradients off.
    """
    if steps <= 0:
        raise ValueError(f"steps must be positive, got {steps}")
    log = TrainingLog()
    start = time.perf_counter()

    def run_evaluation(step: int) -> dict:
        model.eval()
        with torch.no_grad():
            metrics = evaluate()
        model.train()
        log.eval_steps.append(step)
        log.eval_metrics.append(metrics)
        return metrics

    model.train()
    progress = tqdm(range(steps), desc=desc, mininterval=1.0)
    for step in progress:
        batch = next(batches)
        loss = loss_fn(model, batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {loss.item()} at step {step}; lower the learning rate")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        log.steps.append(step)
        log.train_loss.append(loss.item())
        postfix = {"loss": f"{loss.item():.3f}"}
        if evaluate is not None and eval_every and (step + 1) % eval_every == 0 and step + 1 < steps:
            postfix.update({k: f"{v:.3f}" for k, v in run_evaluation(step + 1).items()})
        progress.set_postfix(postfix, refresh=False)
    if evaluate is not None:
        run_evaluation(steps)
    model.eval()
    log.seconds = time.perf_counter() - start
    return log
