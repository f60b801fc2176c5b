# WRONG ANSWER: head i takes every h-th feature instead of a contiguous block.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"split_heads expects a torch.Tensor, got {type(x).__name__}")
    if isinstance(num_heads, bool) or not isinstance(num_heads, int):
        raise TypeError(f"num_heads must be an int, got {type(num_heads).__name__}")
    if x.dim() != 3:
        raise ValueError(f"split_heads expects x of shape (B, L, d_model), got shape {tuple(x.shape)}")
    if num_heads < 1:
        raise ValueError(f"num_heads must be at least 1, got {num_heads}")
    B, L, d_model = x.shape
    if d_model % num_heads != 0:
        raise ValueError(f"d_model = {d_model} is not divisible by num_heads = {num_heads}")
    d_k = d_model // num_heads
    return x.reshape(B, L, d_k, num_heads).permute(0, 3, 1, 2)
