def log_sum_exp(x: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """Wrong: log(sum(exp(x))) without the shift; exp(1e4) overflows to inf."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("log_sum_exp needs a floating-point tensor")
    return torch.log(torch.exp(x).sum(dim=dim, keepdim=keepdim))
