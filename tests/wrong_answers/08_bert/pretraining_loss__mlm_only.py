def pretraining_loss(mlm_logits: torch.Tensor, nsp_logits: torch.Tensor, mlm_labels: torch.Tensor,
                     is_next: torch.Tensor) -> torch.Tensor:
    """BERT's pre-training loss: mean MLM cross-entropy over the labelled positions + NSP cross-entropy.

    Args:
        mlm_logits: float (B, L, V).
        nsp_logits: float (B, 2); class 1 means "B follows A".
        mlm_labels: int64 (B, L): the original token id at the chosen positions, -100 elsewhere.
        is_next: int64 (B,), 1 or 0.

    Returns:
        0-d tensor (dtype of the logits), differentiable: the MLM term (0 if no position is
        labelled) plus the NSP term.

    Raises:
        ValueError: if mlm_labels.shape != mlm_logits.shape[:-1], nsp_logits is not (B, 2), or
            is_next is not (B,).
    """
    if mlm_labels.shape != mlm_logits.shape[:-1]:
        raise ValueError(f"mlm_labels should have shape {tuple(mlm_logits.shape[:-1])}, got {tuple(mlm_labels.shape)}")
    batch = mlm_logits.shape[0]
    if nsp_logits.shape != (batch, 2) or is_next.shape != (batch,):
        raise ValueError(f"nsp_logits should be ({batch}, 2) and is_next ({batch},), "
                         f"got {tuple(nsp_logits.shape)} and {tuple(is_next.shape)}")
    if bool((mlm_labels != -100).any()):
        mlm = F.cross_entropy(mlm_logits.flatten(0, -2), mlm_labels.flatten(), ignore_index=-100)
    else:
        mlm = mlm_logits.sum() * 0.0                   # nothing to predict: 0, still connected to the graph
    return mlm
