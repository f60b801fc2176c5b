def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Wrong: does not check the pair, so a pair of three ids silently uses the first two."""
    left, right = pair[0], pair[1]
    out = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == left and ids[i + 1] == right:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
