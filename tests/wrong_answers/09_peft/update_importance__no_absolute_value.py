def update_importance(param: torch.Tensor, grad: torch.Tensor, avg_ipt: torch.Tensor, avg_unc: torch.Tensor,
                      beta1: float = 0.85, beta2: float = 0.85) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of AdaLoRA's smoothed sensitivity, element-wise.

    Args:
        param, grad: tensors of one shape (a parameter and its gradient).
        avg_ipt, avg_unc: the moving averages I-bar and U-bar from the previous step (zeros at the
            first step), of the same shape.
        beta1, beta2: the smoothing factors, each in [0, 1).

    Returns:
        ``(avg_ipt, avg_unc, score)``, new tensors of the shape of ``param``: I-bar(t), U-bar(t) and
        s(t) = I-bar(t) * U-bar(t). No gradient is recorded (the result does not require grad).

    Raises:
        ValueError: if the shapes differ or a beta is outside [0, 1).
    """
    if not (param.shape == grad.shape == avg_ipt.shape == avg_unc.shape):
        raise ValueError("param, grad, avg_ipt and avg_unc must have one shape")
    if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
        raise ValueError(f"beta1 and beta2 must be in [0, 1), got {beta1} and {beta2}")
    with torch.no_grad():
        ipt = param * grad
        avg_ipt = beta1 * avg_ipt + (1 - beta1) * ipt
        avg_unc = beta2 * avg_unc + (1 - beta2) * (ipt - avg_ipt).abs()
        return avg_ipt, avg_unc, avg_ipt * avg_unc
