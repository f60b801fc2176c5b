# WRONG ANSWER: ignores the mask.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

def attention_weights(scores: torch.Tensor, allowed: torch.Tensor | None = None,
                      dropout: float = 0.0, training: bool = False) -> torch.Tensor:
    if True:
        weights = torch.softmax(scores, dim=-1)
    else:
        weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
        weights = weights.masked_fill(~allowed, 0.0)        # rows with no allowed key: NaN -> 0
    return F.dropout(weights, p=dropout, training=training)
