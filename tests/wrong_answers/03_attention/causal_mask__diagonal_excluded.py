import torch


def causal_mask(length: int, device=None) -> torch.Tensor:
    """WRONG ANSWER: tril(diagonal=-1): a token may not attend to itself."""
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    return torch.ones(length, length, dtype=torch.bool, device=device).tril(diagonal=-1)
