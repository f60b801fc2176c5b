def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Wrong: after a match it moves on by one position instead of two, so the right id is used twice."""
    if len(pair) != 2:
        raise ValueError(f"pair must hold exactly two ids, got {pair!r}")
    out = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
        else:
            out.append(ids[i])
        i += 1
    return out
