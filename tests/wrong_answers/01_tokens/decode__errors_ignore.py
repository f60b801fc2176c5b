def decode(ids: list[int], merges: list[tuple[int, int]]) -> str:
    """Wrong: errors="ignore" silently drops invalid bytes instead of showing a replacement character."""
    table = [bytes([b]) for b in range(256)]
    for left, right in merges:
        table.append(table[left] + table[right])
    parts = []
    for i in ids:
        if not isinstance(i, int):
            raise TypeError(f"token ids must be ints, got {type(i).__name__}")
        if not 0 <= i < len(table):
            raise ValueError(f"token id {i} is out of range [0, {len(table)})")
        parts.append(table[i])
    return b"".join(parts).decode("utf-8", errors="ignore")
