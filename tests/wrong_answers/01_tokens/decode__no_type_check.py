def decode(ids: list[int], merges: list[tuple[int, int]]) -> str:
    """Wrong: looks tokens up in a dict without checking types, so 97.0 quietly decodes as "a"."""
    table = {b: bytes([b]) for b in range(256)}
    for rank, (left, right) in enumerate(merges):
        table[256 + rank] = table[left] + table[right]
    parts = []
    for i in ids:
        if i not in table:
            raise ValueError(f"token id {i!r} is not in the vocabulary")
        parts.append(table[i])
    return b"".join(parts).decode("utf-8", errors="replace")
