def train_bpe(text: str, vocab_size: int) -> list[tuple[int, int]]:
    """Wrong: no argument checks; vocab_size < 256 quietly returns no merges."""
    words = [list(piece.encode("utf-8")) for piece in pretokenize(str(text))]
    merges = []
    while len(merges) < int(vocab_size) - 256:
        counts = Counter()
        for ids in words:
            counts.update(zip(ids, ids[1:]))
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges.append(best)
        words = [merge_pair(ids, best, 255 + len(merges)) for ids in words]
    return merges
