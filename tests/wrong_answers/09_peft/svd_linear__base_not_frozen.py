class SVDLinear(nn.Module):
    """A frozen ``nn.Linear`` plus AdaLoRA's SVD-form update (Zhang et al., 2023).

    ``forward(x) = base(x) + (alpha / r) * ((x @ Q.T) * lam) @ P.T``; x (..., d_in), result (..., d_out).

    Attributes (keep these names; all parameters in the dtype of ``base.weight``):
        base: the wrapped ``nn.Linear``, frozen.
        P: ``nn.Parameter`` (d_out, r), normal with std 0.02 (left singular vectors).
        lam: ``nn.Parameter`` (r,), zeros (the singular values).
        Q: ``nn.Parameter`` (r, d_in), normal with std 0.02 (right singular vectors).
        scaling: the float ``alpha / r``.

    Raises:
        TypeError: if ``base`` is not an ``nn.Linear``.
        ValueError: if ``r`` is not a positive int or ``alpha`` is not positive, or (in ``forward``) the
            last dimension of ``x`` is not d_in.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"base must be an nn.Linear, got {type(base).__name__}")
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise ValueError(f"r must be a positive integer, got {r!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be positive, got {alpha!r}")
        self.base = base
        like = dict(dtype=base.weight.dtype, device=base.weight.device)
        self.P = nn.Parameter(torch.randn(base.out_features, r, **like) * 0.02)
        self.lam = nn.Parameter(torch.zeros(r, **like))
        self.Q = nn.Parameter(torch.randn(r, base.in_features, **like) * 0.02)
        self.r, self.scaling = r, alpha / r

    def delta_weight(self) -> torch.Tensor:
        """(alpha / r) * P @ diag(lam) @ Q, shape (d_out, d_in)."""
        return self.scaling * (self.P * self.lam) @ self.Q

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.base.in_features:
            raise ValueError(f"expected inputs with last dimension {self.base.in_features}, got shape {tuple(x.shape)}")
        return self.base(x) + ((x @ self.Q.T) * self.lam) @ self.P.T * self.scaling

    def orthogonality(self) -> torch.Tensor:
        """R(P, Q) = ||P^T P - I||_F^2 + ||Q Q^T - I||_F^2, a 0-d tensor (differentiable)."""
        eye = torch.eye(self.r, dtype=self.P.dtype, device=self.P.device)
        return ((self.P.T @ self.P - eye) ** 2).sum() + ((self.Q @ self.Q.T - eye) ** 2).sum()
