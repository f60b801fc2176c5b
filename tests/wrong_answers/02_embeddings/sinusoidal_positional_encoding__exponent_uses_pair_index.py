def sinusoidal_positional_encoding(num_positions: int, d_model: int, dtype=torch.float32) -> torch.Tensor:
    """WRONG ANSWER (10000 ** (i / d_model) with the pair index i: the factor 2 is missing). Shape (num_positions, d_model), dtype ``dtype``."""
    if not isinstance(num_positions, int) or not isinstance(d_model, int):
        raise TypeError("num_positions and d_model must be ints")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch dtype, got {dtype}")
    if num_positions < 0:
        raise ValueError(f"num_positions must be >= 0, got {num_positions}")
    if d_model <= 0 or d_model % 2 != 0:
        raise ValueError(f"d_model must be a positive even number, got {d_model}")
    position = torch.arange(num_positions, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(d_model // 2, dtype=torch.float64)
    angle = position / 10000.0 ** (i / d_model)
    pe = torch.zeros(num_positions, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.to(dtype)
