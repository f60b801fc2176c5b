def decode(ids: list[int], merges: list[tuple[int, int]]) -> str:
    """Wrong: looks up token t >= 256 as merge t - 255 instead of t - 256."""
    def expand(t):
        if t < 256:
            return bytes([t])
        left, right = merges[t - 255]
        return expand(left) + expand(right)

    for i in ids:
        if not isinstance(i, int):
            raise TypeError(f"token ids must be ints, got {type(i).__name__}")
        if not 0 <= i < 256 + len(merges):
            raise ValueError(f"token id {i} is out of range [0, {256 + len(merges)})")
    return b"".join(expand(i) for i in ids).decode("utf-8", errors="replace")
