def decode(ids: list[int], merges: list[tuple[int, int]]) -> str:
    """Wrong: decodes every token on its own, which breaks characters whose bytes span two tokens."""
    table = [bytes([b]) for b in range(256)]
    for left, right in merges:
        table.append(table[left] + table[right])
    parts = []
    for i in ids:
        if not isinstance(i, int):
            raise TypeError(f"token ids must be ints, got {type(i).__name__}")
        if not 0 <= i < len(table):
            raise ValueError(f"token id {i} is out of range [0, {len(table)})")
        parts.append(table[i].decode("utf-8", errors="replace"))
    return "".join(parts)
