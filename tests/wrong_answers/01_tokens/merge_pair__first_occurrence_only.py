def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Wrong: replaces only the first occurrence of the pair."""
    if len(pair) != 2:
        raise ValueError(f"pair must hold exactly two ids, got {pair!r}")
    for i in range(len(ids) - 1):
        if ids[i] == pair[0] and ids[i + 1] == pair[1]:
            return ids[:i] + [new_id] + ids[i + 2:]
    return list(ids)
