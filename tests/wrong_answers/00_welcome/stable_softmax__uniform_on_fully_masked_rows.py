def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: a fully -inf slice becomes uniform (1/n) instead of all zeros."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("stable_softmax needs a floating-point tensor")
    if x.size(dim) == 0:
        return torch.empty_like(x)
    fully_masked = torch.isneginf(x).all(dim=dim, keepdim=True)
    x = torch.where(fully_masked, torch.zeros_like(x), x)
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)
