def encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Wrong: applies the merges to the whole byte sequence, across the pre-tokenizer's pieces."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    ids = list(text.encode("utf-8"))
    for rank, pair in enumerate(merges):
        ids = merge_pair(ids, pair, 256 + rank)
    return ids
