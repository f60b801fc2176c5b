# WRONG ANSWER: chapter 03's convention for both masks: flips every boolean mask (True read as 'may attend').
class EncoderBlock(nn.Module):
    """A Transformer encoder block, post-LN or pre-LN; loads nn.TransformerEncoderLayer's state dict.

    post-LN (norm_first=False):  h = norm1(x + dropout1(self_attn(x)));  y = norm2(h + dropout2(ffn(h)))
    pre-LN  (norm_first=True):   h = x + dropout1(self_attn(norm1(x)));  y = h + dropout2(ffn(norm2(h)))
    where ffn(h) = linear2(dropout(activation(linear1(h)))).

    Args:
        d_model: model width (int >= 1), divisible by num_heads.
        num_heads: number of attention heads (int >= 1).
        d_ff: hidden width of the feed-forward network (int >= 1).
        dropout: probability for every dropout (attention weights, FFN hidden, both sub-layer outputs).
        activation: "relu" or "gelu" (exact GELU).
        norm_first: False for post-LN (the paper), True for pre-LN.
        layer_norm_eps: eps of norm1 and norm2.

    Sub-modules, named as in nn.TransformerEncoderLayer: self_attn (nn.MultiheadAttention with
    batch_first=True), linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.

    forward(x, src_mask=None, src_key_padding_mask=None):
        x: floating-point tensor of shape (batch, L, d_model).
        src_mask: optional (L, L) mask passed to self_attn as attn_mask (bool: True = NOT allowed;
            float: added to the attention scores).
        src_key_padding_mask: optional (batch, L) bool tensor, True = padding (the key is ignored).
        Returns a tensor of shape (batch, L, d_model), same dtype as x.

    Raises:
        ValueError: d_model, num_heads or d_ff < 1; d_model not divisible by num_heads; activation not
            "relu" or "gelu"; x not 3-D or x.shape[-1] != d_model.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1,
                 activation: str = "relu", norm_first: bool = False, layer_norm_eps: float = 1e-5):
        super().__init__()
        if min(d_model, num_heads, d_ff) < 1:
            raise ValueError(f"d_model, num_heads and d_ff must be at least 1, got {d_model}, {num_heads}, {d_ff}")
        if d_model % num_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")
        if activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
        self.d_model = d_model
        self.norm_first = norm_first
        self.self_attn = nn.MultiheadAttention(d_model, num_heads, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = F.relu if activation == "relu" else F.gelu

    def forward(self, x: torch.Tensor, src_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"x must have shape (batch, L, d_model={self.d_model}), got {tuple(x.shape)}")

        def flip(mask):
            return mask if mask is None or mask.dtype != torch.bool else ~mask

        def attention(h):
            out = self.self_attn(h, h, h, attn_mask=flip(src_mask), key_padding_mask=flip(src_key_padding_mask), need_weights=False)
            return self.dropout1(out[0])

        def feed_forward(h):
            return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(h)))))

        if self.norm_first:
            x = x + attention(self.norm1(x))
            x = x + feed_forward(self.norm2(x))
        else:
            x = self.norm1(x + attention(x))
            x = self.norm2(x + feed_forward(x))
        return x
