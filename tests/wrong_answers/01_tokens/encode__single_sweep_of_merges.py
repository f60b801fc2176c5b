def encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Wrong: one left-to-right sweep per piece, merging each adjacent pair found in the merges,
    without looking again at the pairs the new tokens form."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    ranks = {tuple(pair): rank for rank, pair in enumerate(merges)}
    out = []
    for piece in pretokenize(text):
        ids = list(piece.encode("utf-8"))
        merged = []
        i = 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) in ranks:
                merged.append(256 + ranks[(ids[i], ids[i + 1])])
                i += 2
            else:
                merged.append(ids[i])
                i += 1
        out.extend(merged)
    return out
