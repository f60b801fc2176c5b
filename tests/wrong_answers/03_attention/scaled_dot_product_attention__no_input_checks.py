import math

import torch


def scaled_dot_product_attention(q, k, v, mask=None):
    """WRONG ANSWER: right maths, but no checks: bad shapes and dtypes give cryptic errors or wrong results."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is None:
        weights = torch.softmax(scores, dim=-1)
    else:
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1).masked_fill(~mask, 0.0)
    return weights @ v, weights
