def sample_next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                      top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw one token id per row of logits, with temperature, top-k and top-p (in that order).

    Args:
        logits: floating-point tensor (B, V), next-token logits of B sequences.
        temperature: >= 0. 0 means greedy: the argmax of each row (the lowest index among ties);
            top_k, top_p and generator are then ignored. Otherwise the logits are divided by it.
        top_k: None, or an int >= 1: keep the tokens whose logit is at least the k-th largest of
            their row (ties with the k-th are kept); k >= V keeps every token.
        top_p: None, or a float in (0, 1]: after temperature and top-k, keep the smallest set of
            most probable tokens whose probability sums to at least top_p (the token that crosses
            top_p is kept); 1 keeps every token.
        generator: optional torch.Generator for the random draw.

    Returns:
        int64 tensor (B,): one token id per row, drawn from the renormalised distribution over the
        kept tokens.

    Raises:
        TypeError: if logits is not a floating-point tensor.
        ValueError: if logits is not 2-D, if temperature < 0, if top_k is not an int >= 1, or if
            top_p is not in (0, 1].
    """
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor, got {getattr(logits, 'dtype', type(logits).__name__)}")
    if logits.dim() != 2:
        raise ValueError(f"logits should have shape (B, V), got {tuple(logits.shape)}")
    if temperature == 0:
        return logits.argmax(dim=-1)
    z = logits / temperature
    if top_k is not None and top_k < z.size(-1):
        kth_largest = torch.topk(z, top_k, dim=-1).values[:, -1:]            # (B, 1)
        z = z.masked_fill(z < kth_largest, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_probs, order = torch.sort(torch.softmax(z, dim=-1), dim=-1, descending=True)
        mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs      # probability of the tokens ranked above
        drop_sorted = mass_before >= top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)  # back to token order
        z = z.masked_fill(drop, float("-inf"))
    probs = torch.softmax(z, dim=-1)                                          # renormalised over the kept tokens
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
