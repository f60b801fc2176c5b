"""The service's text generation: a cached decoding loop around Hugging Face's ``GPT2LMHeadModel``.

Generating ``n`` tokens is two phases with very different costs:

* **prefill**: one forward pass over the whole prompt. It fills the key/value cache
  (``past_key_values``) for every prompt position and gives the logits of the first new token;
* **decode**: one forward pass per further token, each over a single new position that attends
  to the cached keys and values of all earlier positions.

With ``use_cache=False`` every step runs the whole sequence again instead, which is what the
cache saves (the chapter measures the difference). Sampling uses ``transformers``' own logits
warpers (temperature, then top-k, then top-p, the order ``model.generate`` applies them) and a
``torch.Generator`` seeded per request, so the same request with the same seed gives the same
text; temperature 0 means greedy decoding (the most likely token at every step).

Several prompts of different lengths run as one batch by **left padding**: every prompt is
right-aligned, an attention mask hides the padding, and position ids count only real tokens,
so each row computes what it would compute alone.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch


@dataclass
class GenerationResult:
    """What ``generate_ids`` returns.

    ``ids[i]`` holds the *new* token ids of prompt ``i`` (int64, length ``max_new_tokens``, the
    prompt not repeated); ``prefill_s`` is the time of the pass over the prompts that chose the
    first new token, ``decode_s`` the time of all later steps.
    """

    ids: list[torch.Tensor]
    prefill_s: float
    decode_s: float

    @property
    def new_tokens(self) -> int:
        return sum(len(row) for row in self.ids)

    @property
    def decode_tokens_per_s(self) -> float:
        """Tokens per second of the decode phase (every row counts; the first token is prefill's)."""
        steps = self.new_tokens - len(self.ids)
        return steps / self.decode_s if self.decode_s > 0 else float("nan")


def sampling_warpers(temperature: float, top_k: int | None, top_p: float | None) -> list:
    """``transformers``' logits warpers for these settings, in ``model.generate``'s order."""
    from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    warpers = []
    if temperature != 1.0:
        warpers.append(TemperatureLogitsWarper(temperature))
    if top_k is not None:
        warpers.append(TopKLogitsWarper(top_k))
    if top_p not in (None, 1.0):  # top_p = 1 keeps every token
        warpers.append(TopPLogitsWarper(top_p))
    return warpers


def check_sampling(temperature: float, top_k: int | None, top_p: float | None, max_new_tokens: int) -> None:
    """``ValueError`` for settings that have no meaning (the service's 422s are stricter still)."""
    if math.isnan(temperature) or temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1 or None, got {top_k}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1] or None, got {top_p}")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")


def left_padded(prompts: Sequence[torch.Tensor], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-align the prompts in one ``(B, T)`` batch: ``(ids, attention_mask)``, mask 1 on real tokens."""
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt):] = prompt
        mask[row, width - len(prompt):] = 1
    return ids, mask


def positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids that count real tokens only (0 for the first real token of each row)."""
    return (mask.cumsum(-1) - 1).clamp(min=0)


def choose_next(logits: torch.Tensor, ids_so_far: torch.Tensor, warpers: list, greedy: bool,
                generator: torch.Generator) -> torch.Tensor:
    """The next token of every row (shape ``(B,)``) from the last position's logits ``(B, V)``."""
    if greedy:
        return logits.argmax(-1)
    scores = logits.float()
    for warper in warpers:
        scores = warper(ids_so_far, scores)
    probabilities = torch.softmax(scores, dim=-1)
    return torch.multinomial(probabilities, 1, generator=generator).squeeze(-1)


def _synchronise(device: torch.device) -> None:
    """Wait for queued GPU work, so that a clock reading covers the work it should."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.inference_mode()
def generate_steps(model, prompts: Sequence[torch.Tensor], *, max_new_tokens: int, temperature: float = 1.0,
                   top_k: int | None = None, top_p: float | None = None, seed: int | None = None,
                   use_cache: bool = True) -> Iterator[tuple[torch.Tensor, float]]:
    """Yield ``(next_tokens, seconds)`` once per generated position: ``next_tokens`` has shape ``(B,)``
    (one token per prompt, on the CPU) and ``seconds`` is the time that step took. The first step
    is the prefill. ``generate_ids`` collects these; the service streams them."""
    if not prompts or any(p.dim() != 1 or len(p) == 0 for p in prompts):
        raise ValueError("prompts must be a non-empty list of non-empty 1-D tensors of token ids")
    check_sampling(temperature, top_k, top_p, max_new_tokens)
    longest = max(len(p) for p in prompts) + max_new_tokens
    if longest > model.config.n_positions:
        raise ValueError(f"prompt plus new tokens ({longest}) exceed the model's {model.config.n_positions} positions")
    device = next(model.parameters()).device
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    greedy = temperature == 0
    warpers = [] if greedy else sampling_warpers(temperature, top_k, top_p)
    ids, mask = (t.to(device) for t in left_padded([p.long().cpu() for p in prompts]))
    past, step_input, step_positions = None, ids, positions(mask)
    for _step in range(max_new_tokens):
        _synchronise(device)
        started = time.perf_counter()
        if use_cache:
            out = model(input_ids=step_input, attention_mask=mask, position_ids=step_positions,
                        past_key_values=past, use_cache=True)
            past = out.past_key_values
        else:
            out = model(input_ids=ids, attention_mask=mask, position_ids=positions(mask), use_cache=False)
        next_tokens = choose_next(out.logits[:, -1, :], ids, warpers, greedy, generator)
        _synchronise(device)
        seconds = time.perf_counter() - started
        ids = torch.cat([ids, next_tokens[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
        step_input, step_positions = next_tokens[:, None], step_positions[:, -1:] + 1
        yield next_tokens.cpu(), seconds


def generate_ids(model, prompts: Sequence[torch.Tensor], *, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, seed: int | None = None,
                 use_cache: bool = True) -> GenerationResult:
    """Generate ``max_new_tokens`` tokens after each prompt (1-D int64 tensors) with a ``GPT2LMHeadModel``.

    ``temperature=0`` is greedy; otherwise tokens are sampled after ``transformers``' warpers with a
    generator seeded by ``seed`` (a fresh random seed when ``None``). ``use_cache=False`` recomputes
    the whole sequence at every step (same tokens, more work). Returns the new ids of each prompt
    and the prefill and decode times (see ``GenerationResult``).

    There is no end-of-text token: a character model of a play has none (the checkpoint's
    ``eos_token_id`` 0 is the newline), so every prompt gets exactly ``max_new_tokens`` tokens. Its
    greedy ids equal ``model.generate(..., do_sample=False, eos_token_id=None)``'s.
    """
    steps, prefill_s, decode_s = [], 0.0, 0.0
    for tokens, seconds in generate_steps(model, prompts, max_new_tokens=max_new_tokens, temperature=temperature,
                                          top_k=top_k, top_p=top_p, seed=seed, use_cache=use_cache):
        if steps:
            decode_s += seconds
        else:
            prefill_s = seconds
        steps.append(tokens)
    new_ids = torch.stack(steps, dim=1)
    return GenerationResult(ids=list(new_ids), prefill_s=prefill_s, decode_s=decode_s)
