def mask_to_budget(scores: dict[str, torch.Tensor], budget: int) -> dict[str, torch.Tensor]:
    """Keep the ``budget`` triplets with the highest scores over all matrices together.

    Args:
        scores: matrix name -> (r_k,) triplet scores (the ranks r_k may differ between matrices).
        budget: how many triplets to keep in total, 0 <= budget <= sum of the r_k.
    Returns:
        matrix name -> (r_k,) bool tensor, True for the kept triplets; exactly ``budget`` True values
        in all (the scores are assumed distinct).
    Raises:
        ValueError: if ``scores`` is empty or ``budget`` is outside [0, sum of the r_k].
    """
    if not scores:
        raise ValueError("scores is empty")
    everything = torch.cat([s.reshape(-1) for s in scores.values()])
    if not 0 <= budget <= everything.numel():
        raise ValueError(f"budget must be in [0, {everything.numel()}], got {budget}")
    keep = torch.zeros(everything.numel(), dtype=torch.bool)
    if budget:
        keep = everything > everything.topk(budget).values[-1]
    masks, start = {}, 0
    for name, s in scores.items():
        masks[name] = keep[start:start + s.numel()].view(s.shape)
        start += s.numel()
    return masks
