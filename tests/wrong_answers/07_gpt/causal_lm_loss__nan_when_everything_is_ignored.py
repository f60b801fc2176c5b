def causal_lm_loss(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Mean next-token cross-entropy of a causal language model."""
    if targets.is_floating_point() or targets.dtype == torch.bool or not logits.is_floating_point():
        raise TypeError("bad dtype")
    if logits.shape[:-1] != targets.shape:
        raise ValueError("shape mismatch")
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets)).long()
    nll = torch.logsumexp(logits, dim=-1) - logits.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    return torch.where(keep, nll, torch.zeros_like(nll)).sum() / keep.sum()     # 0 / 0 = nan, no error
