def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Wrong: edits the caller's list in place (and returns it)."""
    if len(pair) != 2:
        raise ValueError(f"pair must hold exactly two ids, got {pair!r}")
    i = 0
    while i < len(ids) - 1:
        if ids[i] == pair[0] and ids[i + 1] == pair[1]:
            ids[i:i + 2] = [new_id]
        i += 1
    return ids
