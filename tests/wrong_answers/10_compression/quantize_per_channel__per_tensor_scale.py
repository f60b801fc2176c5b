def quantize_per_channel(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 quantisation with one scale per output channel (per row).

    Args:
        weight: floating-point tensor (float32 or float64) of shape (out_features, in_features), the
            ``nn.Linear`` layout (for a GPT-2 ``Conv1D`` pass ``conv.weight.T``). float16 and
            bfloat16 are accepted as well and handled the same way, in that dtype: ``scale`` is then
            float16 (bfloat16) too, and rounding ``weight / scale`` in it is coarser. The tests use
            float32 and float64 only.

    Returns:
        ``(q, scale)``: ``q`` of dtype ``torch.int8`` and the shape of ``weight``, with values in
        [-127, 127]; ``scale`` of shape (out_features,) and the dtype of ``weight``, where
        ``scale[o] = max_i |weight[o, i]| / 127`` and ``q[o, i] = round(weight[o, i] / scale[o])``
        (round to nearest; a tie may go either way), clamped to [-127, 127]. A row that is all zeros
        gets ``scale[o] = 1.0`` (any positive number would do; 1 keeps results reproducible) and
        ``q[o] = 0``: never a division by zero, never a NaN.
        Both are plain tensors without autograd history (``requires_grad`` False), even when
        ``weight`` is a parameter: quantisation is not part of the training graph.

    Raises:
        TypeError: if ``weight`` is not a floating-point tensor.
        ValueError: if ``weight`` is not 2-D.
    """
    if not isinstance(weight, torch.Tensor) or not weight.is_floating_point():
        raise TypeError("weight must be a floating-point tensor")
    if weight.dim() != 2:
        raise ValueError(f"weight must be 2-D (out_features, in_features), got shape {tuple(weight.shape)}")
    weight = weight.detach()                                        # no autograd history
    scale = weight.abs().amax().expand(weight.shape[0]) / 127                          # s_o = max_i |w_oi| / 127
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))   # all-zero row: s_o = 1
    q = torch.round(weight / scale[:, None])                        # round(w / s)
    q = q.clamp(-127, 127).to(torch.int8)
    return q, scale


def dequantize_per_channel(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """The float weight the quantised one stands for: ``w_hat[o, i] = scale[o] * q[o, i]``.

    Args:
        q: ``torch.int8`` tensor (out_features, in_features).
        scale: floating-point tensor (out_features,).

    Returns:
        a tensor of the shape of ``q`` and the dtype of ``scale``.

    Raises:
        TypeError: if ``q`` is not int8 or ``scale`` is not floating-point.
        ValueError: if ``q`` is not 2-D or ``scale`` is not of shape (q.shape[0],).
    """
    if q.dtype != torch.int8:
        raise TypeError(f"q must be int8, got {q.dtype}")
    if not scale.is_floating_point():
        raise TypeError("scale must be a floating-point tensor")
    if q.dim() != 2 or tuple(scale.shape) != (q.shape[0],):
        raise ValueError(f"q must be 2-D and scale of shape (out_features,): got {tuple(q.shape)} and {tuple(scale.shape)}")
    return q.to(scale.dtype) * scale[:, None]                      # w_hat = s_o q_oi
