def apply_rope(x: torch.Tensor, positions: torch.Tensor | None = None, base: float = 10000.0) -> torch.Tensor:
    """WRONG ANSWER (no checks: odd head_dim silently drops the last column, integers are accepted). x: (..., seq_len, head_dim); returns the same shape and dtype."""
    seq_len, head_dim = x.shape[-2], x.shape[-1]
    if positions is None:
        positions = torch.arange(seq_len, device=x.device)
    theta = base ** (-torch.arange(0, head_dim - head_dim % 2, 2, device=x.device, dtype=torch.float64) / head_dim)
    angle = positions.to(torch.float64)[:, None] * theta[None, :]
    cos, sin = torch.cos(angle), torch.sin(angle)
    x_even, x_odd = x[..., 0:head_dim - head_dim % 2:2], x[..., 1::2]
    out = torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1).flatten(-2)
    return out.to(x.dtype)
