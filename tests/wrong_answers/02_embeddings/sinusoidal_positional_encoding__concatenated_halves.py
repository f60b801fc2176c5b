def sinusoidal_positional_encoding(num_positions: int, d_model: int, dtype=torch.float32) -> torch.Tensor:
    """WRONG ANSWER ([all sines | all cosines] instead of interleaved columns). Shape (num_positions, d_model), dtype ``dtype``."""
    if not isinstance(num_positions, int) or not isinstance(d_model, int):
        raise TypeError("num_positions and d_model must be ints")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch dtype, got {dtype}")
    if num_positions < 0:
        raise ValueError(f"num_positions must be >= 0, got {num_positions}")
    if d_model <= 0 or d_model % 2 != 0:
        raise ValueError(f"d_model must be a positive even number, got {d_model}")
    position = torch.arange(num_positions, dtype=torch.float64).unsqueeze(1)
    angle = position / 10000.0 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1).to(dtype)
