def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: the textbook formula without the max shift; exp(1e4) overflows, so the result is nan."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("stable_softmax needs a floating-point tensor")
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)
