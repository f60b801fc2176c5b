def causal_lm_loss(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Mean next-token cross-entropy of a causal language model."""
    if targets.is_floating_point() or targets.dtype == torch.bool or not logits.is_floating_point():
        raise TypeError("bad dtype")
    if logits.shape[:-1] != targets.shape:
        raise ValueError("shape mismatch")
    if not (targets != ignore_index).any():
        raise ValueError("nothing to predict")
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1).long(),
                                             ignore_index=ignore_index)
