def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Wrong: scans from the right, so [a, a, a] becomes [a, new] instead of [new, a]."""
    if len(pair) != 2:
        raise ValueError(f"pair must hold exactly two ids, got {pair!r}")
    out = []
    i = len(ids) - 1
    while i >= 0:
        if i >= 1 and ids[i - 1] == pair[0] and ids[i] == pair[1]:
            out.append(new_id)
            i -= 2
        else:
            out.append(ids[i])
            i -= 1
    return out[::-1]
