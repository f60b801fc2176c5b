def quantize_groupwise(weight: torch.Tensor, bits: int = 4, group_size: int = 32,
                       clip: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric ``bits``-bit quantisation with one scale per group of ``group_size`` input columns.

    Args:
        weight: floating-point tensor (out_features, in_features), the ``nn.Linear`` layout.
        bits: a Python ``int`` from 2 to 8; ``qmax = 2 ** (bits - 1) - 1``. Anything else raises
            ``ValueError``: 1 or 9, and also a float such as ``4.0`` or a ``bool``.
        group_size: the number of consecutive input columns (along dim 1) that share a scale, a
            positive ``int`` that divides ``in_features``. Group ``g`` of row ``o`` is ``weight[o, g*group_size:(g+1)*group_size]``.
        clip: the clip ratio ``c`` in (0, 1].

    Returns:
        ``(q, scale)``: ``q`` int8 of the shape of ``weight`` with values in [-qmax, qmax];
        ``scale`` of shape (out_features, in_features // group_size) and the weight's dtype, with
        ``scale[o, g] = clip * max |weight in group (o, g)| / qmax`` (1.0 for an all-zero group), and
        ``q = clamp(round(weight / scale of its group), -qmax, qmax)`` (a tie may round either way).
        Both are plain tensors without autograd history (``requires_grad`` False), as in Exercise 1.

    Raises:
        TypeError: if ``weight`` is not a floating-point tensor.
        ValueError: if ``weight`` is not 2-D, ``bits`` is not an ``int`` in 2..8, ``group_size`` is not a
            positive ``int`` dividing ``in_features``, or ``clip`` is not in (0, 1].
    """
    if not isinstance(weight, torch.Tensor) or not weight.is_floating_point():
        raise TypeError("weight must be a floating-point tensor")
    if weight.dim() != 2:
        raise ValueError(f"weight must be 2-D (out_features, in_features), got shape {tuple(weight.shape)}")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 2 <= bits <= 8:
        raise ValueError(f"bits must be an int from 2 to 8, got {bits!r}")
    rows, cols = weight.shape
    if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1 or cols % group_size != 0:
        raise ValueError(f"group_size {group_size} must be a positive divisor of in_features {cols}")
    if not 0 < clip <= 1:
        raise ValueError(f"clip must be in (0, 1], got {clip}")
    qmax = 2 ** (bits - 1)                                          # 7 for 4 bits
    groups = weight.detach().reshape(rows, cols // group_size, group_size)
    scale = clip * groups.abs().amax(dim=2) / qmax                      # s_og = c max|w| / qmax
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round(groups / scale[:, :, None]).clamp(-qmax, qmax)      # clamp(round(w / s))
    return q.reshape(rows, cols).to(torch.int8), scale


def dequantize_groupwise(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``w_hat[o, i] = scale[o, i // group_size] * q[o, i]`` with ``group_size = in_features // scale.shape[1]``.

    Args:
        q: int8 tensor (out_features, in_features).
        scale: floating-point tensor (out_features, n_groups), ``n_groups`` dividing ``in_features``.

    Returns:
        a tensor of the shape of ``q`` and the dtype of ``scale``.

    Raises:
        TypeError: if ``q`` is not int8 or ``scale`` is not floating-point (as in Exercise 1).
        ValueError: if the shapes do not fit (q not 2-D, scale not (out_features, n_groups) with
            n_groups dividing in_features).
    """
    if q.dtype != torch.int8:
        raise TypeError(f"q must be int8, got {q.dtype}")
    if not scale.is_floating_point():
        raise TypeError(f"scale must be a floating-point tensor, got {scale.dtype}")
    if q.dim() != 2 or scale.dim() != 2 or scale.shape[0] != q.shape[0] or q.shape[1] % scale.shape[1] != 0:
        raise ValueError(f"shapes do not fit: q {tuple(q.shape)}, scale {tuple(scale.shape)}")
    rows, cols = q.shape
    groups = q.reshape(rows, scale.shape[1], -1).to(scale.dtype)
    return (groups * scale[:, :, None]).reshape(rows, cols)             # w_hat = s_og q_oi
