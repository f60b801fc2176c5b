class Adapter(nn.Module):
    """A bottleneck adapter after a frozen linear sublayer (Houlsby et al., 2019).

    ``forward(x) = y + up(gelu(down(y)))`` with ``y = sublayer(x)``; x of shape (..., d_in), the
    result of shape (..., d), where d = ``sublayer.out_features``. GELU is ``nn.GELU()`` (the exact,
    erf form).

    Attributes (keep these names):
        sublayer: the wrapped ``nn.Linear``, frozen (its parameters have ``requires_grad=False``).
        down: ``nn.Linear(d, bottleneck)`` with PyTorch's default initialisation.
        up: ``nn.Linear(bottleneck, d)`` with weight and bias set to zero (the adapter starts as the
            identity, so the wrapped layer starts equal to ``sublayer``).
    ``down`` and ``up`` are created in the dtype of the sublayer's weight; they are the only
    trainable parameters: 2 * d * bottleneck + d + bottleneck numbers.

    Raises:
        TypeError: if ``sublayer`` is not an ``nn.Linear``.
        ValueError: if ``bottleneck`` is not a positive int.
    """

    def __init__(self, sublayer: nn.Linear, bottleneck: int):
        super().__init__()
        if not isinstance(sublayer, nn.Linear):
            raise TypeError(f"sublayer must be an nn.Linear, got {type(sublayer).__name__}")
        if isinstance(bottleneck, bool) or not isinstance(bottleneck, int) or bottleneck < 1:
            raise ValueError(f"bottleneck must be a positive integer, got {bottleneck!r}")
        self.sublayer = sublayer
        for parameter in sublayer.parameters():
            parameter.requires_grad_(False)
        d, dtype = sublayer.out_features, sublayer.weight.dtype
        self.down = nn.Linear(d, bottleneck, dtype=dtype, device=sublayer.weight.device)
        self.up = nn.Linear(bottleneck, d, dtype=dtype, device=sublayer.weight.device)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)
        self.activation = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.sublayer(x)
        return y + self.up(self.activation(self.down(y)))
