# WRONG ANSWER: reads both masks in chapter 03's convention (True = may attend).
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

def combine_masks(key_padding_mask: torch.Tensor | None, attn_mask: torch.Tensor | None,
                  batch_size: int, L_q: int, L_k: int) -> torch.Tensor | None:
    if key_padding_mask is None and attn_mask is None:
        return None
    allowed = torch.ones(batch_size, 1, L_q, L_k, dtype=torch.bool)
    for name, mask, shape in (("key_padding_mask", key_padding_mask, (batch_size, L_k)),
                              ("attn_mask", attn_mask, (L_q, L_k))):
        if mask is None:
            continue
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            raise TypeError(f"{name} must be a torch.bool tensor (True = blocked), got {getattr(mask, 'dtype', type(mask).__name__)}")
        if tuple(mask.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {tuple(mask.shape)}")
        allowed = allowed.to(mask.device)
        if name == "key_padding_mask":
            allowed = allowed & mask[:, None, None, :]      # (B, 1, 1, L_k): the same keys for every query
        else:
            allowed = allowed & mask                        # (L_q, L_k): the same pairs for every sequence
    return allowed
