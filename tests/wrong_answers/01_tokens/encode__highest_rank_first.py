def encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Wrong: among the pairs present it merges the one learned LAST first (highest rank)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    ranks = {tuple(pair): rank for rank, pair in enumerate(merges)}
    out = []
    for piece in pretokenize(text):
        ids = list(piece.encode("utf-8"))
        while True:
            present = [p for p in zip(ids, ids[1:]) if p in ranks]
            if not present:
                break
            pair = max(present, key=lambda p: ranks[p])
            ids = merge_pair(ids, pair, 256 + ranks[pair])
        out.extend(ids)
    return out
