class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update (Hu et al., 2022).

    ``forward(x) = base(x) + (alpha / r) * dropout(x) @ lora_A.T @ lora_B.T``, x of shape (..., d_in)
    and any floating dtype of the base layer; the result has shape (..., d_out).

    Attributes (keep these names):
        base: the wrapped ``nn.Linear``; its weight and bias are frozen (``requires_grad=False``).
        lora_A: ``nn.Parameter`` of shape (r, d_in), Kaiming-uniform with ``a=sqrt(5)``.
        lora_B: ``nn.Parameter`` of shape (d_out, r), zeros (so the layer starts equal to ``base``).
        scaling: the float ``alpha / r``.
        dropout: ``nn.Dropout(dropout)``, applied to the input of the LoRA path only.
        merged: True while the update is merged into ``base.weight``.
    Both LoRA parameters have the dtype and device of ``base.weight``; they are the only
    trainable parameters of the layer: r * (d_in + d_out) numbers.

    Raises:
        TypeError: if ``base`` is not an ``nn.Linear``.
        ValueError: if ``r`` is not a positive int, ``alpha`` is not positive, ``dropout`` is not in
            [0, 1), or (in ``forward``) the last dimension of ``x`` is not ``d_in``.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float = 0.0):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"base must be an nn.Linear, got {type(base).__name__}")
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise ValueError(f"r must be a positive integer, got {r!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be positive, got {alpha!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.base = base
        for parameter in base.parameters():
            parameter.requires_grad_(False)
        weight = base.weight
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, dtype=weight.dtype, device=weight.device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, dtype=weight.dtype, device=weight.device))
        self.r, self.alpha, self.scaling = r, alpha, alpha / r
        self.dropout = nn.Dropout(dropout)
        self.merged = False

    def delta_weight(self) -> torch.Tensor:
        """The update (alpha / r) * B @ A, of the shape of ``base.weight`` (d_out, d_in)."""
        return self.scaling * (self.lora_B @ self.lora_A)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.base.in_features:
            raise ValueError(f"expected inputs with last dimension {self.base.in_features}, got shape {tuple(x.shape)}")
        out = self.base(x)
        if self.merged:
            return out
        return out + self.dropout(x @ self.lora_A.T @ self.lora_B.T) * self.scaling

    def merge(self) -> None:
        """Add the update to ``base.weight`` (in place); afterwards ``forward`` is ``base`` alone.
        Raises RuntimeError if already merged."""
        if self.merged:
            raise RuntimeError("the LoRA update is already merged")
        with torch.no_grad():
            self.base.weight += self.delta_weight()
        self.merged = True

    def unmerge(self) -> None:
        """Subtract the update from ``base.weight`` again. Raises RuntimeError if not merged."""
        if not self.merged:
            raise RuntimeError("the LoRA update is not merged")
        with torch.no_grad():
            self.base.weight -= self.delta_weight()
        self.merged = False
