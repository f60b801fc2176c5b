def encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Wrong: goes through the merges in order but applies each one only at its first position."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    out = []
    for piece in pretokenize(text):
        ids = list(piece.encode("utf-8"))
        for rank, (left, right) in enumerate(merges):
            for i in range(len(ids) - 1):
                if ids[i] == left and ids[i + 1] == right:
                    ids[i:i + 2] = [256 + rank]
                    break
        out.extend(ids)
    return out
