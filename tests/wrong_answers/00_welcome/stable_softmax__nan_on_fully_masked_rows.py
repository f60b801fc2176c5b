def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: correct max shift, but a slice that is entirely -inf gives -inf - (-inf) = nan."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("stable_softmax needs a floating-point tensor")
    if x.size(dim) == 0:
        return torch.empty_like(x)
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)
