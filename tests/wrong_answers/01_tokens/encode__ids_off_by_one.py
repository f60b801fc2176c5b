def encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Wrong: merge i produces id 255 + i instead of 256 + i."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    out = []
    for piece in pretokenize(text):
        ids = list(piece.encode("utf-8"))
        for rank, pair in enumerate(merges):
            ids = merge_pair(ids, pair, 255 + rank)
        out.extend(ids)
    return out
