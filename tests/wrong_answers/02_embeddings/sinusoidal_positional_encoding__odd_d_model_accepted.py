def sinusoidal_positional_encoding(num_positions: int, d_model: int, dtype=torch.float32) -> torch.Tensor:
    """WRONG ANSWER (odd d_model accepted (last column a lone sine) instead of raising ValueError). Shape (num_positions, d_model), dtype ``dtype``."""
    if not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch dtype, got {dtype}")
    if num_positions < 0 or d_model <= 0:
        raise ValueError("num_positions must be >= 0 and d_model > 0")
    position = torch.arange(num_positions, dtype=torch.float64).unsqueeze(1)
    angle = position / 10000.0 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(num_positions, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe.to(dtype)
