# WRONG ANSWER: accepts a 3-D input without complaint.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

def merge_heads(x: torch.Tensor) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"merge_heads expects a torch.Tensor, got {type(x).__name__}")
    B, h, L, d_k = x.shape if x.dim() == 4 else (x.shape[0], 1, *x.shape[1:])
    return x.transpose(1, 2).reshape(B, L, h * d_k)           # (B, h, L, d_k) -> (B, L, h, d_k) -> (B, L, h*d_k)
