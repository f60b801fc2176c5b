def apply_rope(x: torch.Tensor, positions: torch.Tensor | None = None, base: float = 10000.0) -> torch.Tensor:
    """WRONG ANSWER (the base argument is ignored (always 10000)). x: (..., seq_len, head_dim); returns the same shape and dtype."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("x must be a floating-point tensor")
    if x.dim() < 2:
        raise ValueError(f"x must have shape (..., seq_len, head_dim), got {tuple(x.shape)}")
    seq_len, head_dim = x.shape[-2], x.shape[-1]
    if head_dim == 0 or head_dim % 2 != 0:
        raise ValueError(f"head_dim must be even and positive, got {head_dim}")
    if positions is None:
        positions = torch.arange(seq_len, device=x.device)
    if tuple(positions.shape) != (seq_len,):
        raise ValueError(f"positions must have shape ({seq_len},), got {tuple(positions.shape)}")
    work = torch.promote_types(x.dtype, torch.float32)
    theta = 10000.0 ** (-torch.arange(0, head_dim, 2, device=x.device, dtype=work) / head_dim)
    angle = positions.to(work)[:, None] * theta[None, :]
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    x_even, x_odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1).flatten(-2)
