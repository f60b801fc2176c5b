import torch


def causal_mask(length: int, device=None) -> torch.Tensor:
    """WRONG ANSWER: no ValueError for length < 1."""
    return torch.ones(max(length, 0), max(length, 0), dtype=torch.bool, device=device).tril()
