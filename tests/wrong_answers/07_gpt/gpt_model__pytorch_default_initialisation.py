class GPT(nn.Module):
    """A decoder-only Transformer language model with GPT-2's parameter layout.

    Modules (names fixed, see the layout table): self.config (the GPTConfig);
    self.transformer = nn.ModuleDict with wte (nn.Embedding(vocab_size, n_embd)),
    wpe (nn.Embedding(block_size, n_embd)), drop (nn.Dropout(config.dropout)),
    h (nn.ModuleList of n_layer Blocks) and ln_f (nn.LayerNorm(n_embd, bias=config.bias));
    self.lm_head = nn.Linear(n_embd, vocab_size, bias=False) whose weight IS transformer.wte.weight.

    Initialisation: weight matrices and both embeddings ~ N(0, 0.02^2), except attn.c_proj.weight and
    mlp.c_proj.weight ~ N(0, (0.02 / sqrt(2 * n_layer))^2); biases 0; LayerNorm weights 1.

    Raises:
        ValueError: in __init__ if vocab_size, block_size, n_layer, n_head or n_embd is not
            positive, if n_embd is not a multiple of n_head, or if dropout is not in [0, 1).
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            if getattr(config, name) < 1:
                raise ValueError(f"config.{name} must be positive, got {getattr(config, name)}")
        if config.n_embd % config.n_head != 0:
            raise ValueError(f"n_embd={config.n_embd} must be a multiple of n_head={config.n_head}")
        if not 0.0 <= config.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {config.dropout}")
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight              # tied: one Parameter
        residual_std = 0.02 / math.sqrt(2 * config.n_layer)

    def forward(self, idx: torch.Tensor, past_kv=None):
        """idx (B, T) int64 token ids; past_kv None or the list of n_layer (k, v) pairs returned
        by an earlier call (P cached positions). Returns (logits, present): logits (B, T, vocab_size)
        for positions P .. P + T - 1, present the list of n_layer (k, v) pairs, each
        (B, n_head, P + T, n_embd // n_head). Raises TypeError if idx is not an integer tensor,
        ValueError if idx is not 2-D, if past_kv does not have n_layer entries, or if P + T > block_size."""
        if not isinstance(idx, torch.Tensor) or idx.is_floating_point() or idx.is_complex() or idx.dtype == torch.bool:
            raise TypeError(f"idx must be an integer tensor of token ids, got {getattr(idx, 'dtype', type(idx).__name__)}")
        if idx.dim() != 2:
            raise ValueError(f"idx should have shape (B, T), got {tuple(idx.shape)}")
        if past_kv is not None and len(past_kv) != self.config.n_layer:
            raise ValueError(f"past_kv should hold {self.config.n_layer} (k, v) pairs, got {len(past_kv)}")
        P = 0 if past_kv is None else past_kv[0][0].size(2)
        T = idx.size(1)
        if P + T > self.config.block_size:
            raise ValueError(f"{P} cached + {T} new positions exceed block_size={self.config.block_size}")
        positions = torch.arange(P, P + T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(positions))
        present = []
        for i, block in enumerate(self.transformer.h):
            x, kv = block(x, None if past_kv is None else past_kv[i])
            present.append(kv)
        return self.lm_head(self.transformer.ln_f(x)), present
