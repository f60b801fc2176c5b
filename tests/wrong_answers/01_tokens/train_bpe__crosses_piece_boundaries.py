def train_bpe(text: str, vocab_size: int) -> list[tuple[int, int]]:
    """Wrong: counts pairs over the whole byte sequence, so merges cross the pre-tokenizer's pieces."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not isinstance(vocab_size, int) or isinstance(vocab_size, bool):
        raise TypeError(f"vocab_size must be an int, got {type(vocab_size).__name__}")
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256, got {vocab_size}")
    ids = list(text.encode("utf-8"))
    merges = []
    while len(merges) < vocab_size - 256:
        counts = Counter(zip(ids, ids[1:]))
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges.append(best)
        ids = merge_pair(ids, best, 255 + len(merges))
    return merges
