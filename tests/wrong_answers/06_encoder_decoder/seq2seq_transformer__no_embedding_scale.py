class Seq2SeqTransformer(nn.Module):
    """The encoder-decoder Transformer of Vaswani et al. (2017), returning logits.

    Args:
        src_vocab_size, tgt_vocab_size: vocabulary sizes (at least 1).
        d_model: width of every token vector; even, and divisible by num_heads.
        num_heads, d_ff, dropout, norm_first: as in DecoderBlock, for every layer of both stacks.
        num_encoder_layers, num_decoder_layers: depths of the two stacks (0 is allowed: then the
            stack is just the embedding, plus the final norm in pre-LN).
        share_embeddings: one embedding module for source and target (tgt_embed IS src_embed);
            needs src_vocab_size == tgt_vocab_size.
        tie_output: the output projection's weight IS tgt_embed's weight (one nn.Parameter);
            the projection keeps its own bias.

    Submodules (the tests use these names):
        src_embed, tgt_embed: nn.Embedding(vocab_size, d_model), weights drawn from N(0, 1/d_model).
        dropout: nn.Dropout(dropout) on (embedding * sqrt(d_model) + positions).
        encoder_layers: nn.ModuleList of num_encoder_layers nn.TransformerEncoderLayer(d_model,
            num_heads, d_ff, dropout, batch_first=True, norm_first=norm_first).
        decoder_layers: nn.ModuleList of num_decoder_layers DecoderBlock(d_model, num_heads, d_ff,
            dropout, norm_first).
        encoder_norm, decoder_norm: nn.LayerNorm(d_model) after each stack if norm_first, else None.
        output: nn.Linear(d_model, tgt_vocab_size) with a bias.

    Raises:
        ValueError: d_model odd or not divisible by num_heads, a vocabulary size below 1, a negative
            number of layers, or share_embeddings with two different vocabulary sizes.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, d_model: int = 512, num_heads: int = 8,
                 num_encoder_layers: int = 6, num_decoder_layers: int = 6, d_ff: int = 2048,
                 dropout: float = 0.1, norm_first: bool = False, share_embeddings: bool = False,
                 tie_output: bool = False, max_len: int = 512):
        super().__init__()
        if d_model % 2 != 0 or d_model % num_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be even and divisible by num_heads ({num_heads})")
        if src_vocab_size < 1 or tgt_vocab_size < 1:
            raise ValueError(f"vocabulary sizes must be at least 1, got {src_vocab_size} and {tgt_vocab_size}")
        if num_encoder_layers < 0 or num_decoder_layers < 0:
            raise ValueError(f"layer counts must be >= 0, got {num_encoder_layers} and {num_decoder_layers}")
        if share_embeddings and src_vocab_size != tgt_vocab_size:
            raise ValueError(f"share_embeddings needs one vocabulary, got sizes {src_vocab_size} and {tgt_vocab_size}")
        self.d_model = d_model
        self.src_embed = nn.Embedding(src_vocab_size, d_model)
        nn.init.normal_(self.src_embed.weight, mean=0.0, std=d_model ** -0.5)
        if share_embeddings:
            self.tgt_embed = self.src_embed
        else:
            self.tgt_embed = nn.Embedding(tgt_vocab_size, d_model)
            nn.init.normal_(self.tgt_embed.weight, mean=0.0, std=d_model ** -0.5)
        self.pos_embed = nn.Embedding(max_len, d_model)
        self.dropout = nn.Dropout(dropout)
        self.encoder_layers = nn.ModuleList(
            nn.TransformerEncoderLayer(d_model, num_heads, dim_feedforward=d_ff, dropout=dropout,
                                       batch_first=True, norm_first=norm_first)
            for _ in range(num_encoder_layers))
        self.decoder_layers = nn.ModuleList(
            DecoderBlock(d_model, num_heads, d_ff, dropout, norm_first) for _ in range(num_decoder_layers))
        self.encoder_norm = nn.LayerNorm(d_model) if norm_first else None
        self.decoder_norm = nn.LayerNorm(d_model) if norm_first else None
        self.output = nn.Linear(d_model, tgt_vocab_size)
        if tie_output:
            self.output.weight = self.tgt_embed.weight

    def embed(self, tokens: torch.Tensor, embedding: nn.Embedding) -> torch.Tensor:
        """dropout(embedding(tokens) * sqrt(d_model) + PE): (batch, L) int64 -> (batch, L, d_model).

        P is self.pos_embed.weight: row p is added at position p.
        Raises ValueError if tokens is not 2-D, TypeError if it is not an integer tensor.
        """
        if tokens.dim() != 2:
            raise ValueError(f"token ids must have shape (batch, length), got {tuple(tokens.shape)}")
        if tokens.is_floating_point() or tokens.is_complex() or tokens.dtype == torch.bool:
            raise TypeError(f"token ids must be an integer tensor, got {tokens.dtype}")
        x = embedding(tokens)
        positions = self.pos_embed(torch.arange(tokens.shape[1], device=tokens.device))
        return self.dropout(x + positions)

    def encode(self, src: torch.Tensor, src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The memory: src (batch, S) int64 -> (batch, S, d_model).

        src_key_padding_mask: optional (batch, S) bool, True at padding.
        """
        x = self.embed(src, self.src_embed)
        for layer in self.encoder_layers:
            x = layer(x, src_key_padding_mask=src_key_padding_mask)
        if self.encoder_norm is not None:
            x = self.encoder_norm(x)
        return x

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor, memory_key_padding_mask: torch.Tensor | None = None,
               tgt_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (batch, T, tgt_vocab_size) for the target prefix tgt (batch, T) int64.

        memory: (batch, S, d_model) from encode(); memory_key_padding_mask: (batch, S) bool, True at
        source padding; tgt_key_padding_mask: optional (batch, T) bool, True at target padding.
        Position t of the result depends on tgt[:, :t+1] only (causal).
        """
        y = self.embed(tgt, self.tgt_embed)
        for layer in self.decoder_layers:
            y = layer(y, memory, tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask)
        if self.decoder_norm is not None:
            y = self.decoder_norm(y)
        return self.output(y)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor, src_key_padding_mask: torch.Tensor | None = None,
                tgt_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (batch, T, tgt_vocab_size) of the target tgt (batch, T) given the source src (batch, S).

        Raises ValueError if src and tgt have different batch sizes.
        """
        if src.dim() == 2 and tgt.dim() == 2 and src.shape[0] != tgt.shape[0]:
            raise ValueError(f"src {tuple(src.shape)} and tgt {tuple(tgt.shape)} must have the same batch size")
        memory = self.encode(src, src_key_padding_mask)
        return self.decode(tgt, memory, memory_key_padding_mask=src_key_padding_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask)
