def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: shifts and exponentiates the caller's tensor in place (x is modified)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("stable_softmax needs a floating-point tensor")
    if x.size(dim) == 0:
        return torch.empty_like(x)
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isneginf(m), torch.zeros_like(m), m)
    x.sub_(m).exp_()
    total = x.sum(dim=dim, keepdim=True)
    return x / torch.where(total > 0, total, torch.ones_like(total))
