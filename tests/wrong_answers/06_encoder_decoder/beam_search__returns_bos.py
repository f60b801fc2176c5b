@torch.no_grad()
def beam_search(model, src: torch.Tensor, beam_width: int, max_len: int, bos: int, eos: int,
                src_key_padding_mask: torch.Tensor | None = None) -> tuple[list[list[int]], torch.Tensor]:
    """Beam search decoding (no length normalisation).

    The model is used only through memory = model.encode(src, src_key_padding_mask) and
    logits = model.decode(tgt, memory, memory_key_padding_mask=...), logits (batch, T, V).
    The score of a hypothesis is the sum of log_softmax(logits) of its tokens after bos
    (eos included).

    For each example, the beam starts as the one hypothesis [bos] with score 0. At each of at
    most max_len steps every hypothesis in the beam is extended: an unfinished one by every
    token of the vocabulary (score + that token's log-probability), a finished one (it ends
    with eos) only by itself, score unchanged. The beam_width highest-scoring candidates (all
    of them if there are fewer) form the new beam. The search stops after max_len steps or
    when every hypothesis in the beam is finished; the highest-scoring one is returned.
    With beam_width == 1 this is greedy decoding.

    Args:
        model: the encoder-decoder, already in eval mode (beam_search does not change it).
        src: (batch, S) integer tensor of source ids.
        beam_width: hypotheses kept per example, >= 1.
        max_len: the most tokens generated after bos (eos included), >= 1.
        bos, eos: ids of the begin- and end-of-sequence tokens.
        src_key_padding_mask: optional (batch, S) bool, True at source padding; given to encode
            and, as memory_key_padding_mask, to decode.

    Returns:
        (sequences, scores): sequences is a list of batch lists of int ids -- each example's best
        hypothesis without bos, ending with eos if it finished, at most max_len ids, nothing
        after eos; scores is a (batch,) tensor, in the logits' dtype, of their log-probabilities.

    Raises:
        ValueError: src is not 2-D, beam_width or max_len is below 1, or the mask's shape is not src's.
        TypeError: src is not an integer tensor.
    """
    if src.dim() != 2:
        raise ValueError(f"src must have shape (batch, S), got {tuple(src.shape)}")
    if src.is_floating_point() or src.is_complex() or src.dtype == torch.bool:
        raise TypeError(f"src must hold integer token ids, got {src.dtype}")
    if beam_width < 1 or max_len < 1:
        raise ValueError(f"beam_width and max_len must be >= 1, got {beam_width} and {max_len}")
    if src_key_padding_mask is not None and src_key_padding_mask.shape != src.shape:
        raise ValueError(f"src_key_padding_mask has shape {tuple(src_key_padding_mask.shape)}, src {tuple(src.shape)}")
    B, k, device = src.shape[0], beam_width, src.device
    memory = model.encode(src, src_key_padding_mask).repeat_interleave(k, dim=0)          # (B k, S, d)
    mask = None if src_key_padding_mask is None else src_key_padding_mask.repeat_interleave(k, dim=0)
    seqs = torch.full((B * k, 1), bos, dtype=torch.long, device=device)                 # row b*k + j: hypothesis j of example b
    finished = torch.zeros(B * k, dtype=torch.bool, device=device)
    scores = None
    offsets = torch.arange(B, device=device)[:, None] * k
    for _ in range(max_len):
        logp = model.decode(seqs, memory, memory_key_padding_mask=mask)[:, -1].log_softmax(dim=-1)   # (B k, V)
        V = logp.shape[-1]
        if scores is None:                       # only the first copy of [bos] is a real hypothesis
            scores = torch.full((B, k), float("-inf"), dtype=logp.dtype, device=device)
            scores[:, 0] = 0.0
            scores = scores.flatten()
        stay = torch.full_like(logp, float("-inf"))
        stay[:, eos] = 0.0                       # a finished hypothesis continues only as itself, for free
        logp = torch.where(finished[:, None], stay, logp)
        top, index = (scores[:, None] + logp).view(B, k * V).topk(k, dim=-1)
        parent = (index // V + offsets).flatten()
        token = (index % V).flatten()
        seqs = torch.cat([seqs[parent], token[:, None]], dim=1)
        finished = finished[parent] | (token == eos)
        scores = top.flatten()
        if finished.all():
            break
    best = (scores.view(B, k).argmax(dim=-1)[:, None] + offsets).flatten()
    sequences = [row[: row.index(eos) + 1] if eos in row else row for row in seqs[best].tolist()]
    return sequences, scores[best]
