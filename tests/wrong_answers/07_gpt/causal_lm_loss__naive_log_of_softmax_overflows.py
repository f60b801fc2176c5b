def causal_lm_loss(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Mean next-token cross-entropy of a causal language model."""
    if targets.is_floating_point() or targets.dtype == torch.bool or not logits.is_floating_point():
        raise TypeError("bad dtype")
    if logits.shape[:-1] != targets.shape:
        raise ValueError("shape mismatch")
    keep = targets != ignore_index
    if not keep.any():
        raise ValueError("nothing to predict")
    if ((targets[keep] < 0) | (targets[keep] >= logits.size(-1))).any():
        raise ValueError("target out of range")
    safe = torch.where(keep, targets, torch.zeros_like(targets)).long()
    e = torch.exp(logits)
    p = (e / e.sum(dim=-1, keepdim=True)).gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    nll = -torch.log(p)
    return torch.where(keep, nll, torch.zeros_like(nll)).sum() / keep.sum()
