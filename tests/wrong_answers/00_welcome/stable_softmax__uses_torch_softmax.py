def stable_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Wrong: calls the built-in the exercise asks you to write (blocked by the tests)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("stable_softmax needs a floating-point tensor")
    return torch.nan_to_num(torch.softmax(x, dim=dim), nan=0.0)
