import torch


def causal_mask(length: int, device=None) -> torch.Tensor:
    """WRONG ANSWER: ~triu(diagonal=0): the usual 'mask the future' code with the wrong diagonal, so the diagonal is masked too."""
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    return ~torch.ones(length, length, dtype=torch.bool, device=device).triu(diagonal=0)
