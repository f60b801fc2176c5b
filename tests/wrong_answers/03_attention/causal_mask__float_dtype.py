import torch


def causal_mask(length: int, device=None) -> torch.Tensor:
    """WRONG ANSWER: a float 0/1 mask instead of a boolean one."""
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    return torch.ones(length, length, device=device).tril()
