def mask_tokens(input_ids: torch.Tensor, vocab_size: int, *, generator: torch.Generator | None = None,
                mlm_probability: float = 0.15, mask_id: int = MASK_ID,
                special_ids: tuple[int, ...] = SPECIAL_IDS) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking for masked-language modelling.

    Each position whose id is not in ``special_ids`` (padding is [PAD], a special token) is chosen
    with probability ``mlm_probability`` (a coin per position, or an exact count per row: both are
    fine). A chosen position becomes ``mask_id`` with probability 0.8, a random id in
    [0, vocab_size) with probability 0.1, and stays unchanged with probability 0.1.

    Args:
        input_ids: integer tensor (any integer dtype) of shape (B, L), token ids.
        vocab_size: the number of token ids; random replacements are drawn from [0, vocab_size)
            (drawing only non-special ids is fine too).
        generator: the source of every random draw (None: PyTorch's global generator).
        mlm_probability: the share of eligible positions to choose, in (0, 1].
        mask_id: the id of [MASK].
        special_ids: ids that are never chosen.

    Returns:
        (masked_ids, labels): masked_ids has the shape and dtype of ``input_ids``; labels is int64 of
        shape (B, L): the original id at the chosen positions, -100 everywhere else.
        ``input_ids`` itself is not modified.

    Raises:
        TypeError: if ``input_ids`` is not an integer tensor (floating point or bool).
        ValueError: if ``input_ids`` is not 2-D, or ``mlm_probability`` is not in (0, 1].
    """
    if (not isinstance(input_ids, torch.Tensor) or input_ids.is_floating_point() or input_ids.is_complex()
            or input_ids.dtype == torch.bool):
        raise TypeError(f"input_ids must be an integer tensor, got {getattr(input_ids, 'dtype', type(input_ids).__name__)}")
    if input_ids.dim() != 2:
        raise ValueError(f"input_ids must have shape (B, L), got {tuple(input_ids.shape)}")
    if not 0.0 < mlm_probability <= 1.0:
        raise ValueError(f"mlm_probability must be in (0, 1], got {mlm_probability}")
    shape, device = input_ids.shape, input_ids.device
    eligible = ~torch.isin(input_ids, torch.tensor(list(special_ids), dtype=input_ids.dtype, device=device))
    chosen = eligible & (torch.rand(shape, generator=generator).to(device) < mlm_probability)
    labels = torch.where(chosen, input_ids.long(), torch.full_like(input_ids, -100, dtype=torch.long))
    action = torch.rand(shape, generator=generator).to(device)          # one draw decides mask / random / keep
    random_ids = torch.full_like(input_ids, vocab_size - 1)
    masked_ids = input_ids.clone()
    masked_ids[chosen & (action < 0.8)] = mask_id
    replace = chosen & (action >= 0.8) & (action < 0.9)
    masked_ids[replace] = random_ids[replace]
    return masked_ids, labels
