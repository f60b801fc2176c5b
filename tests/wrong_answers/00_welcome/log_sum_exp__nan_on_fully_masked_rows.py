def log_sum_exp(x: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """Wrong: the max shift without guarding infinite maxima; a fully -inf slice gives
    -inf - (-inf) = nan (and a +inf entry gives inf - inf = nan)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("log_sum_exp needs a floating-point tensor")
    if x.size(dim) == 0:
        return torch.full_like(x.sum(dim=dim, keepdim=keepdim), float("-inf"))
    m = x.amax(dim=dim, keepdim=True)
    out = m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)
