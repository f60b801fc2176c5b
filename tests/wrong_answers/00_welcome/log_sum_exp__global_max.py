def log_sum_exp(x: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """Wrong: shifts by the maximum of the whole tensor; a slice far below it underflows to log(0) = -inf."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("log_sum_exp needs a floating-point tensor")
    if x.numel() == 0:
        return torch.full_like(x.sum(dim=dim, keepdim=keepdim), float("-inf"))
    m = x.max()
    if torch.isinf(m):
        m = torch.zeros_like(m)
    return m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=keepdim))
