def log_sum_exp(x: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """Wrong: the maximum is taken without keepdim, so x - m broadcasts along the wrong axis
    (or fails) whenever dim is not the first dimension."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("log_sum_exp needs a floating-point tensor")
    if x.size(dim) == 0:
        return torch.full_like(x.sum(dim=dim, keepdim=keepdim), float("-inf"))
    m = x.amax(dim=dim)
    m = torch.where(torch.isinf(m), torch.zeros_like(m), m)
    out = m + torch.log(torch.exp(x - m).sum(dim=dim))
    return out.unsqueeze(dim) if keepdim else out
