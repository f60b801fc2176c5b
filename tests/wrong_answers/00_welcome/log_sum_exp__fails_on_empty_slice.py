def log_sum_exp(x: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """Wrong: no special case for an empty slice, so amax raises instead of returning -inf."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("log_sum_exp needs a floating-point tensor")
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isinf(m), torch.zeros_like(m), m)
    out = m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)
