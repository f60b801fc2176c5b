def prefix_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, prefix_k: torch.Tensor,
                     prefix_v: torch.Tensor, key_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Scaled dot-product attention of q over [prefix_k; k] and [prefix_v; v], per head.

    Args:
        q: (B, H, L_q, d_h) queries.
        k, v: (B, H, L_k, d_h) keys and values of the real tokens.
        prefix_k, prefix_v: (B, H, P, d_h) the prefix keys and values (P >= 1), prepended along the
            sequence dimension.
        key_mask: None (every key visible) or a bool tensor (B, L_k), True for real tokens and False
            for padding. Prefix positions are always visible.
    All tensors share one floating dtype. Scale 1 / sqrt(d_h); no dropout.

    Returns:
        (B, H, L_q, d_h), the dtype of q. Finite even where a row of ``key_mask`` is all False.

    Raises:
        ValueError: if the shapes do not fit together (batch, heads, d_h, P, L_k) or ``key_mask`` is
            not of shape (B, L_k).
        TypeError: if ``key_mask`` is given and is not a bool tensor.
    """
    B, H, _, d_h = q.shape
    if k.shape != v.shape or k.shape[:2] != (B, H) or k.shape[-1] != d_h:
        raise ValueError(f"k and v must be (B, H, L_k, d_h) = ({B}, {H}, L_k, {d_h}), got {tuple(k.shape)} and {tuple(v.shape)}")
    if prefix_k.shape != prefix_v.shape or prefix_k.shape[:2] != (B, H) or prefix_k.shape[-1] != d_h:
        raise ValueError(f"prefix_k and prefix_v must be (B, H, P, d_h), got {tuple(prefix_k.shape)} and {tuple(prefix_v.shape)}")
    keys = torch.cat([prefix_k, k], dim=2)
    values = torch.cat([prefix_v, v], dim=2)
    keep = None
    if key_mask is not None:
        if key_mask.dtype != torch.bool:
            raise TypeError(f"key_mask must be a bool tensor, got {key_mask.dtype}")
        if key_mask.shape != (B, k.shape[2]):
            raise ValueError(f"key_mask must have shape (B, L_k) = ({B}, {k.shape[2]}), got {tuple(key_mask.shape)}")
        always = torch.zeros(B, prefix_k.shape[2], dtype=torch.bool, device=key_mask.device)
        keep = torch.cat([always, key_mask], dim=1)[:, None, None, :]
    return F.scaled_dot_product_attention(q, keys, values, attn_mask=keep)
