class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with an optional key/value cache, in GPT-2's layout.

    Parameters (names fixed):
        c_attn: nn.Linear(n_embd, 3 * n_embd, bias=config.bias). Its output is [q | k | v], each
            n_embd wide; head h of each is columns h * hd .. (h + 1) * hd - 1, hd = n_embd // n_head.
        c_proj: nn.Linear(n_embd, n_embd, bias=config.bias), applied to the concatenated heads.
    Dropout with probability config.dropout on the attention weights and on the output (training
    mode only). No other parameters.

    forward(x, past_kv=None) -> (y, (k, v))
        x: (B, T, n_embd) floating-point tensor, the T new positions.
        past_kv: None, or the (k, v) pair this module returned for the P earlier positions,
            each of shape (B, n_head, P, hd).
        y: (B, T, n_embd), same dtype as x. New query i (position P + i) attends to positions
            0 .. P + i, scaled by 1 / sqrt(hd).
        (k, v): the keys and values of all P + T positions, each (B, n_head, P + T, hd).

    Raises:
        ValueError: in __init__ if n_embd is not a multiple of n_head; in forward if x is not of
            shape (B, T, n_embd), or if past_kv does not hold two tensors of shape (B, n_head, P, hd).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if config.n_embd % config.n_head != 0:
            raise ValueError(f"n_embd={config.n_embd} must be a multiple of n_head={config.n_head}")
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, past_kv=None):
        if x.dim() != 3 or x.size(-1) != self.n_embd:
            raise ValueError(f"x should have shape (B, T, {self.n_embd}), got {tuple(x.shape)}")
        B, T, C = x.shape
        hd = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=-1)                      # each (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, hd).transpose(1, 2) for t in (q, k, v))   # (B, nh, T, hd)
        P = 0
        if past_kv is not None:
            k_past, v_past = past_kv
            if (k_past.dim() != 4 or k_past.shape != v_past.shape
                    or tuple(k_past.shape[:2]) != (B, self.n_head) or k_past.size(-1) != hd):
                raise ValueError(f"past_kv should hold two tensors of shape (B={B}, n_head={self.n_head}, P, {hd}), "
                                 f"got {tuple(k_past.shape)} and {tuple(v_past.shape)}")
            P = k_past.size(2)
            k = torch.cat([k_past, k], dim=2)                           # (B, nh, P + T, hd)
            v = torch.cat([v_past, v], dim=2)
        p = self.dropout if self.training else 0.0
        blocked = torch.ones(T, P + T, dtype=torch.bool, device=x.device).triu(diagonal=P + 1)   # chapter 04's True = blocked
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=blocked, dropout_p=p)
        y = y.transpose(1, 2).reshape(B, T, C)                          # merge the heads
        return self.resid_dropout(self.c_proj(y)), (k, v)
