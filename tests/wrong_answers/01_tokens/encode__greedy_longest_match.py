def encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Wrong: greedy longest match against the vocabulary instead of applying merges by rank."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    table = [bytes([b]) for b in range(256)]
    for left, right in merges:
        table.append(table[left] + table[right])
    lookup = {}
    for token_id, token_bytes in enumerate(table):
        lookup.setdefault(token_bytes, token_id)
    longest = max(len(b) for b in table)
    out = []
    for piece in pretokenize(text):
        data = piece.encode("utf-8")
        i = 0
        while i < len(data):
            for length in range(min(longest, len(data) - i), 0, -1):
                if data[i:i + length] in lookup:
                    out.append(lookup[data[i:i + length]])
                    i += length
                    break
    return out
