def magnitude_masks(weights: dict, sparsity: float, scope: str = "global") -> dict:
    """Keep-masks that prune the smallest-magnitude weights to an exact sparsity.

    Args:
        weights: a dict ``{name: tensor}`` of floating-point tensors of any shapes (not changed).
        sparsity: the fraction to prune, in [0, 1].
        scope: ``"layer"`` prunes ``round(sparsity * t.numel())`` entries of each tensor ``t``;
            ``"global"`` prunes ``round(sparsity * N)`` entries of all tensors together
            (``N`` = total number of entries), the smallest ``|w|`` wherever they are.

    Returns:
        a dict with the same keys, in the same order: a ``torch.bool`` tensor of each weight's shape,
        True where the weight is kept. Ties in ``|w|`` are broken by position: within the order of
        the dict and then of ``t.flatten()``, the earlier entry is pruned first (a stable sort).

    Raises:
        ValueError: if ``sparsity`` is not in [0, 1], ``scope`` is neither ``"layer"`` nor
            ``"global"``, or ``weights`` is empty.
    """
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    if scope not in ("layer", "global"):
        raise ValueError(f"scope must be 'layer' or 'global', got {scope!r}")
    if not weights:
        raise ValueError("weights is empty: nothing to prune")
    if scope == "layer":
        return {name: magnitude_masks({name: w}, sparsity, "global")[name] for name, w in weights.items()}
    flat = torch.cat([w.abs().flatten().double() for w in weights.values()])
    k = round(sparsity * flat.numel())                                  # k = round(p N)
    order = torch.sort(flat, descending=True).indices.flip(0)                       # smallest |w| first, ties by position
    keep = torch.ones(flat.numel(), dtype=torch.bool)
    keep[order[:k]] = False
    masks, start = {}, 0
    for name, w in weights.items():
        masks[name] = keep[start:start + w.numel()].reshape(w.shape)
        start += w.numel()
    return masks
