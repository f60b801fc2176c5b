# no check of the last dimension: broadcasting hides the mistake or fails with a RuntimeError
class LayerNorm(nn.Module):
    """Layer normalisation over the last dimension; a drop-in replacement for nn.LayerNorm(d).

        y = (x - mean) / sqrt(var + eps) * weight + bias

    mean and var are taken over the last dimension of x; var is the BIASED variance (divide by d).

    Args:
        normalized_shape: d, the size of the last dimension of the inputs (an int >= 1).
        eps: a small float added to the variance INSIDE the square root.
        elementwise_affine: if True, learnable nn.Parameters `weight` (gain, initialised to ones)
            and `bias` (initialised to zeros), both of shape (d,), named exactly like nn.LayerNorm's
            so that its state_dict loads. If False, self.weight and self.bias are None.

    forward(x):
        x: a floating-point tensor of shape (..., d).
        Returns a tensor of the same shape and dtype: every vector x[..., :] normalised on its own.

    Raises:
        TypeError: normalized_shape is not an int, or x is not a floating-point tensor.
        ValueError: normalized_shape < 1, or x.shape[-1] != normalized_shape (or x is 0-D).
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-5, elementwise_affine: bool = True):
        super().__init__()
        if isinstance(normalized_shape, bool) or not isinstance(normalized_shape, int):
            raise TypeError(f"normalized_shape must be an int, got {type(normalized_shape).__name__}")
        if normalized_shape < 1:
            raise ValueError(f"normalized_shape must be at least 1, got {normalized_shape}")
        self.normalized_shape = normalized_shape
        self.eps = eps
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(normalized_shape))
            self.bias = nn.Parameter(torch.zeros(normalized_shape))
        else:
            self.weight = None
            self.bias = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor, got {getattr(x, 'dtype', type(x).__name__)}")
        mean = x.mean(dim=-1, keepdim=True)
        centred = x - mean
        var = (centred * centred).mean(dim=-1, keepdim=True)      # biased: divide by d
        y = centred / torch.sqrt(var + self.eps)
        if self.weight is not None:
            y = y * self.weight + self.bias
        return y
