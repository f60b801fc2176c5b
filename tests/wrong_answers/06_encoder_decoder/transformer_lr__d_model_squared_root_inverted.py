def transformer_lr(step: int, d_model: int, warmup_steps: int, factor: float = 1.0) -> float:
    """The learning rate of "Attention Is All You Need" (equation 3), times factor:

        factor * d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5)

    Args:
        step: the step number, counted from 1 (the first optimiser step is step 1).
        d_model: the model width, >= 1.
        warmup_steps: length of the linear warm-up, >= 1; the rate peaks at step == warmup_steps.
        factor: a positive multiplier (1.0 in the paper).

    Returns:
        The learning rate, a Python float.

    Raises:
        ValueError: step, d_model or warmup_steps is below 1, or factor is not positive.
    """
    if step < 1 or d_model < 1 or warmup_steps < 1:
        raise ValueError(f"step, d_model and warmup_steps must be >= 1, got {step}, {d_model}, {warmup_steps}")
    if not factor > 0:
        raise ValueError(f"factor must be positive, got {factor}")
    return float(factor * d_model ** 0.5 * min(step ** -0.5, step * warmup_steps ** -1.5))
