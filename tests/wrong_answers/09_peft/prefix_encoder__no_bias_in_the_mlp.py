class PrefixEncoder(nn.Module):
    """The learned key/value prefixes of every layer (Li & Liang, 2021).

    Args:
        n_layers, n_heads, d_model: the model's layers L, heads H and width d (d divisible by H).
        prefix_len: the number of virtual tokens P.
        hidden: None for a directly trained table; an int h for the reparameterisation MLP.

    Attributes (keep these names):
        without ``hidden``: ``prefix``, an ``nn.Parameter`` of shape (P, L * 2 * d), initialised
            with ``torch.randn(...) * 0.02``;
        with ``hidden``: ``embedding``, an ``nn.Parameter`` of shape (P, d) (``torch.randn(...) * 0.02``),
            and ``mlp = nn.Sequential(nn.Linear(d, h), nn.Tanh(), nn.Linear(h, L * 2 * d))``.

    Raises:
        ValueError: if a size is not a positive int, d is not divisible by H, or (in ``forward``)
            ``batch_size`` < 1.
    """

    def __init__(self, n_layers: int, n_heads: int, d_model: int, prefix_len: int, hidden: int | None = None):
        super().__init__()
        sizes = dict(n_layers=n_layers, n_heads=n_heads, d_model=d_model, prefix_len=prefix_len)
        if hidden is not None:
            sizes["hidden"] = hidden
        for name, value in sizes.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_layers, self.n_heads, self.d_model, self.prefix_len = n_layers, n_heads, d_model, prefix_len
        width = n_layers * 2 * d_model
        if hidden is None:
            self.prefix = nn.Parameter(torch.randn(prefix_len, width) * 0.02)
        else:
            self.embedding = nn.Parameter(torch.randn(prefix_len, d_model) * 0.02)
            self.mlp = nn.Sequential(nn.Linear(d_model, hidden, bias=False), nn.Tanh(), nn.Linear(hidden, width, bias=False))
        self.hidden = hidden

    def flat_prefix(self) -> torch.Tensor:
        """The table P_theta, shape (P, L * 2 * d): ``prefix``, or ``mlp(embedding)``."""
        return self.prefix if self.hidden is None else self.mlp(self.embedding)

    def forward(self, batch_size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """One ``(prefix_k, prefix_v)`` pair per layer, each of shape (batch_size, H, P, d_h), the
        same for every row of the batch: row i of layer l's key for head h is
        ``flat_prefix()[i, (2 * l) * d + h * d_h : (2 * l) * d + (h + 1) * d_h]``, its value is at
        ``(2 * l + 1) * d + ...``."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        table = self.flat_prefix()
        d_h = self.d_model // self.n_heads
        table = table.view(self.prefix_len, self.n_layers, 2, self.n_heads, d_h).permute(1, 2, 3, 0, 4)
        table = table.unsqueeze(2).expand(-1, -1, batch_size, -1, -1, -1)     # (L, 2, B, H, P, d_h)
        return [(table[layer, 0], table[layer, 1]) for layer in range(self.n_layers)]
