# WRONG ANSWER: no checks of query, key and value.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

class MultiHeadAttention(nn.Module):

    def __init__(self, d_model: int, num_heads: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        for name, size in (("d_model", d_model), ("num_heads", num_heads)):
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ValueError(f"{name} must be a positive int, got {size!r}")
        if d_model % num_heads != 0:
            raise ValueError(f"d_model = {d_model} is not divisible by num_heads = {num_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_k = d_model // num_heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
                need_weights: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, L_q, L_k = query.shape[0], query.shape[1], key.shape[1]
        allowed = combine_masks(key_padding_mask, attn_mask, B, L_q, L_k)    # (B, 1, L_q, L_k) or None

        q = split_heads(self.q_proj(query), self.num_heads)     # (B, h, L_q, d_k)
        k = split_heads(self.k_proj(key), self.num_heads)       # (B, h, L_k, d_k)
        v = split_heads(self.v_proj(value), self.num_heads)     # (B, h, L_k, d_k)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)  # (B, h, L_q, L_k)
        weights = attention_weights(scores, allowed, self.dropout, self.training)
        output = self.out_proj(merge_heads(weights @ v))        # (B, L_q, d_model)
        return output, (weights if need_weights else None)
