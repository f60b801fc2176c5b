def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: subtracts the maximum of the whole tensor instead of each slice's maximum.

    A row whose logits are all far below the global maximum underflows to 0 / 0 = nan.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("stable_softmax needs a floating-point tensor")
    if x.numel() == 0:
        return torch.empty_like(x)
    m = x.max()
    if torch.isneginf(m):
        m = torch.zeros_like(m)
    e = torch.exp(x - m)
    total = e.sum(dim=dim, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))
