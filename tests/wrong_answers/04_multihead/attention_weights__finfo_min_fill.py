# WRONG ANSWER: fills blocked scores with the dtype's minimum: uniform weights on rows with no allowed key.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

def attention_weights(scores: torch.Tensor, allowed: torch.Tensor | None = None,
                      dropout: float = 0.0, training: bool = False) -> torch.Tensor:
    if allowed is None:
        weights = torch.softmax(scores, dim=-1)
    else:
        weights = torch.softmax(scores.masked_fill(~allowed, torch.finfo(scores.dtype).min), dim=-1)
    return F.dropout(weights, p=dropout, training=training)
