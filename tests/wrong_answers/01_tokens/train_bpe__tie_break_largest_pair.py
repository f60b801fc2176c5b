def train_bpe(text: str, vocab_size: int) -> list[tuple[int, int]]:
    """Wrong: among equally frequent pairs it takes the largest (left, right), not the smallest."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not isinstance(vocab_size, int) or isinstance(vocab_size, bool):
        raise TypeError(f"vocab_size must be an int, got {type(vocab_size).__name__}")
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256, got {vocab_size}")
    words = [list(piece.encode("utf-8")) for piece in pretokenize(text)]
    merges = []
    while len(merges) < vocab_size - 256:
        counts = Counter()
        for ids in words:
            counts.update(zip(ids, ids[1:]))
        if not counts:
            break
        best = max(counts, key=lambda pair: (counts[pair], pair))
        merges.append(best)
        words = [merge_pair(ids, best, 255 + len(merges)) for ids in words]
    return merges
