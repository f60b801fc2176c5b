import torch


def causal_mask(length: int, device=None) -> torch.Tensor:
    """WRONG ANSWER: triu(diagonal=1): True marks the forbidden positions (the nn.MultiheadAttention attn_mask convention)."""
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    return torch.ones(length, length, dtype=torch.bool, device=device).triu(diagonal=1)
