def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: the maximum is taken without keepdim, so it broadcasts along the wrong axis
    (or fails to broadcast) whenever dim is not the first dimension."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("stable_softmax needs a floating-point tensor")
    if x.size(dim) == 0:
        return torch.empty_like(x)
    m = x.amax(dim=dim)
    m = torch.where(torch.isneginf(m), torch.zeros_like(m), m)
    e = torch.exp(x - m)
    total = e.sum(dim=dim, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))
