# WRONG ANSWER: view after transpose: RuntimeError on the usual contiguous input.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

def merge_heads(x: torch.Tensor) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"merge_heads expects a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"merge_heads expects x of shape (B, h, L, d_k), got shape {tuple(x.shape)}")
    B, h, L, d_k = x.shape
    return x.transpose(1, 2).view(B, L, h * d_k)
