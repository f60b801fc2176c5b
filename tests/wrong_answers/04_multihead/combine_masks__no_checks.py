# WRONG ANSWER: no type or shape checks.
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
        mask = torch.as_tensor(mask).bool()
        allowed = allowed.to(mask.device)
        if name == "key_padding_mask":
            allowed = allowed & ~mask[:, None, None, :]      # (B, 1, 1, L_k): the same keys for every query
        else:
            allowed = allowed & ~mask                        # (L_q, L_k): the same pairs for every sequence
    return allowed
