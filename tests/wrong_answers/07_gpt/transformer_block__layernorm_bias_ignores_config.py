class Block(nn.Module):
    """A pre-LN Transformer block: a = x + attn(ln_1(x)); out = a + mlp(ln_2(a)).

    Submodules (names fixed): ln_1 and ln_2 are nn.LayerNorm(n_embd, bias=config.bias) with the
    default eps 1e-5 (GPT-2's); attn is a CausalSelfAttention(config); mlp is an MLP(config).

    forward(x, past_kv=None) -> (out, (k, v))
        x: (B, T, n_embd). past_kv and the returned (k, v) are the attention's cache, passed
        through unchanged in meaning (see CausalSelfAttention). out: (B, T, n_embd).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, past_kv=None):
        attended, present = self.attn(self.ln_1(x), past_kv)
        x = x + attended
        x = x + self.mlp(self.ln_2(x))
        return x, present
