# WRONG ANSWER: adds a -inf mask to the scores and replaces the NaN of fully masked rows afterwards: NaN gradients.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads, bias=True, dropout=0.0):
        super().__init__()
        if not isinstance(d_model, int) or not isinstance(num_heads, int) or min(d_model, num_heads) < 1:
            raise ValueError("sizes must be positive ints")
        if d_model % num_heads != 0:
            raise ValueError(f"{d_model} is not divisible by {num_heads}")
        if dropout < 0 or dropout >= 1:
            raise ValueError("dropout must be in [0, 1)")
        self.num_heads = num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias)
        self.k_proj = nn.Linear(d_model, d_model, bias)
        self.v_proj = nn.Linear(d_model, d_model, bias)
        self.out_proj = nn.Linear(d_model, d_model, bias)
        self.attn_drop = nn.Dropout(dropout)

    def forward(self, query, key, value, key_padding_mask=None, attn_mask=None, need_weights=False):
        d = self.q_proj.in_features
        for t in (query, key, value):
            if not isinstance(t, torch.Tensor) or not t.dtype.is_floating_point:
                raise TypeError("floating tensors please")
            if t.dim() != 3 or t.size(-1) != d:
                raise ValueError("inputs must be (B, L, d_model)")
        if not (query.size(0) == key.size(0) == value.size(0)) or key.size(1) != value.size(1):
            raise ValueError("batch or length mismatch")
        B, Lq, Lk = query.size(0), query.size(1), key.size(1)
        bias = torch.zeros(B, Lq, Lk, dtype=query.dtype)
        if key_padding_mask is not None:
            if not isinstance(key_padding_mask, torch.Tensor) or key_padding_mask.dtype is not torch.bool:
                raise TypeError("key_padding_mask must be bool")
            if tuple(key_padding_mask.shape) != (B, Lk):
                raise ValueError("key_padding_mask must be (B, L_k)")
            bias = bias.masked_fill(key_padding_mask[:, None, :], float("-inf"))
        if attn_mask is not None:
            if not isinstance(attn_mask, torch.Tensor) or attn_mask.dtype is not torch.bool:
                raise TypeError("attn_mask must be bool")
            if tuple(attn_mask.shape) != (Lq, Lk):
                raise ValueError("attn_mask must be (L_q, L_k)")
            bias = bias.masked_fill(attn_mask, float("-inf"))
        h, dk = self.num_heads, d // self.num_heads
        Q, K, V = self.q_proj(query), self.k_proj(key), self.v_proj(value)
        heads, ws = [], []
        for i in range(h):
            sl = slice(i * dk, (i + 1) * dk)
            s = torch.einsum("bqd,bkd->bqk", Q[..., sl], K[..., sl]) / dk ** 0.5 + bias
            w = torch.where(torch.isinf(bias), torch.zeros_like(s), torch.softmax(s, dim=-1).nan_to_num(0.0))
            w = self.attn_drop(w)
            ws.append(w)
            heads.append(torch.einsum("bqk,bkd->bqd", w, V[..., sl]))
        out = self.out_proj(torch.cat(heads, dim=-1))
        return out, (torch.stack(ws, dim=1) if need_weights else None)
