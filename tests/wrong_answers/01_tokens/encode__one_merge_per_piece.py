def encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Wrong: merges the lowest-rank pair once and stops, instead of repeating until nothing applies."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    ranks = {tuple(pair): rank for rank, pair in enumerate(merges)}
    out = []
    for piece in pretokenize(text):
        ids = list(piece.encode("utf-8"))
        if len(ids) > 1:
            pair = min(zip(ids, ids[1:]), key=lambda p: ranks.get(p, len(ranks)))
            if pair in ranks:
                ids = merge_pair(ids, pair, 256 + ranks[pair])
        out.extend(ids)
    return out
