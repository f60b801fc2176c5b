def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: silently converts integer (and bool) input to float instead of raising TypeError."""
    x = torch.as_tensor(x)
    if not x.is_floating_point():
        x = x.float()
    if x.size(dim) == 0:
        return torch.empty_like(x)
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isneginf(m), torch.zeros_like(m), m)
    e = torch.exp(x - m)
    total = e.sum(dim=dim, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))
