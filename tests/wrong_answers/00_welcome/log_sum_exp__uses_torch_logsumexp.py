def log_sum_exp(x: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """Wrong: calls the built-in the exercise asks you to write (blocked by the tests)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("log_sum_exp needs a floating-point tensor")
    return torch.logsumexp(x, dim=dim, keepdim=keepdim)
