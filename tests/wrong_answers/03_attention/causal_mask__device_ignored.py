import torch


def causal_mask(length: int, device=None) -> torch.Tensor:
    """WRONG ANSWER: ignores the device argument."""
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    return torch.ones(length, length, dtype=torch.bool).tril()
