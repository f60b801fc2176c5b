def generate(model: nn.Module, idx: torch.Tensor, max_new_tokens: int, *, use_cache: bool = True,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Extend each prompt by max_new_tokens tokens, one at a time.

    Each step runs the model, takes the logits of the last position and chooses the next token with
    sample_next_token(logits, temperature, top_k, top_p, generator).
    Without the cache, each step feeds the last model.config.block_size tokens of the sequence.
    With it (use_cache=True), the first step feeds the last block_size tokens of the prompt and keeps
    the returned cache; each later step feeds only the newest token with the cache, while the cache
    holds fewer than block_size positions; once it holds block_size, each step feeds the last
    block_size tokens afresh. Both ways produce the same tokens.

    Args:
        model: a GPT (model.config.block_size; model(idx, past_kv) -> (logits, present)), in eval mode.
        idx: int64 tensor (B, T0), T0 >= 1: the prompts.
        max_new_tokens: int >= 0.
        use_cache, temperature, top_k, top_p, generator: as described above and in sample_next_token.

    Returns:
        int64 tensor (B, T0 + max_new_tokens): the prompts followed by the new tokens. idx is not modified.

    Raises:
        TypeError: if idx is not an integer tensor.
        ValueError: if idx is not 2-D, if it has no tokens (T0 == 0), or if max_new_tokens < 0.
    """
    if not isinstance(idx, torch.Tensor) or idx.is_floating_point() or idx.is_complex() or idx.dtype == torch.bool:
        raise TypeError(f"idx must be an integer tensor of token ids, got {getattr(idx, 'dtype', type(idx).__name__)}")
    if idx.dim() != 2 or idx.size(1) == 0:
        raise ValueError(f"idx should have shape (B, T0) with T0 >= 1, got {tuple(idx.shape)}")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    block_size = model.config.block_size
    out, cache = idx, None
    with torch.no_grad():
        for _ in range(max_new_tokens):
            if use_cache and cache is not None and cache[0][0].size(2) < block_size:
                logits, cache = model(out[:, -1:], past_kv=cache)          # the newest token only
            else:
                logits, cache = model(out[:, -block_size:])                 # the whole (cropped) window
            next_id = sample_next_token(logits[:, 0, :], temperature=temperature, top_k=top_k,
                                        top_p=top_p, generator=generator)
            out = torch.cat([out, next_id[:, None].to(out.dtype)], dim=1)
    return out
