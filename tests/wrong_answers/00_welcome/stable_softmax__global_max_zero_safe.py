def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: global maximum instead of per-slice, with a 'safe' division that hides the nan.

    Rows far below the global maximum come out as all zeros instead of a distribution.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("stable_softmax needs a floating-point tensor")
    if x.numel() == 0:
        return torch.empty_like(x)
    finite = x[torch.isfinite(x)]
    m = finite.max() if finite.numel() else torch.zeros((), dtype=x.dtype)
    e = torch.exp(x - m)
    total = e.sum(dim=dim, keepdim=True)
    return torch.nan_to_num(e / total, nan=0.0)
