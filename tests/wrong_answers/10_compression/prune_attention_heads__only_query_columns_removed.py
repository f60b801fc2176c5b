from transformers.models.gpt2.modeling_gpt2 import GPT2Attention


def prune_attention_heads(attn: GPT2Attention, heads) -> int:
    """Remove attention heads, in place, from a ``transformers`` ``GPT2Attention`` module.

    Args:
        attn: the attention module of one GPT-2 block (``model.transformer.h[i].attn``).
        heads: an iterable of head indices of this module as it is now (0 .. attn.num_heads - 1,
            numbered in order); duplicates count once; an empty iterable removes nothing.

    Replaces ``attn.c_attn`` and ``attn.c_proj`` by ``Conv1D`` layers holding only the kept heads'
    columns of Q, K and V (and their bias entries) and the kept heads' rows of ``c_proj`` (its bias
    unchanged), with the dtype and device of the old weights, as trainable parameters; and sets
    ``attn.num_heads`` to the number of heads kept and ``attn.split_size`` to
    ``(number of heads kept) * head_dim``.
    The module then computes exactly what the original computes with the removed heads' outputs
    set to zero.

    Returns:
        the number of parameters removed (a Python int).

    Raises:
        TypeError: if ``attn`` is not a ``GPT2Attention``.
        ValueError: if an index is outside 0 .. num_heads - 1 or every head would be removed (the
            module is then left unchanged).
    """
    if not isinstance(attn, GPT2Attention):
        raise TypeError(f"attn must be a GPT2Attention, got {type(attn).__name__}")
    heads = {int(h) for h in heads}
    n_heads, head_dim, width = attn.num_heads, attn.head_dim, attn.split_size
    bad = [h for h in heads if not 0 <= h < n_heads]
    if bad:
        raise ValueError(f"head indices {sorted(bad)} are not in range({n_heads})")
    kept = [h for h in range(n_heads) if h not in heads]
    if not kept:
        raise ValueError("cannot remove every head of a layer")
    before = sum(p.numel() for p in attn.parameters())
    inner = torch.cat([torch.arange(h * head_dim, (h + 1) * head_dim) for h in kept])   # kept positions in one of Q, K, V
    qkv = torch.cat([inner, torch.arange(width, 3 * width)])                              # columns j*d + h*d_h + t
    c_attn = Conv1D(len(qkv), attn.c_attn.weight.shape[0])                              # Conv1D(out, in)
    c_proj = Conv1D(attn.c_proj.weight.shape[1], len(inner))
    with torch.no_grad():                                  # indexing copies: the new weights are new leaves
        c_attn.weight = nn.Parameter(attn.c_attn.weight[:, qkv])
        c_attn.bias = nn.Parameter(attn.c_attn.bias[qkv])
        c_proj.weight = nn.Parameter(attn.c_proj.weight[inner, :])
    c_proj.bias = attn.c_proj.bias                         # added once, whatever the heads
    attn.c_attn, attn.c_proj = c_attn, c_proj
    attn.num_heads = len(kept)
    attn.split_size = len(kept) * head_dim
    return before - sum(p.numel() for p in attn.parameters())
