class BertPreTrainingHeads(nn.Module):
    """BERT's masked-LM and next-sentence heads.

    Modules (names fixed):
        dense = nn.Linear(hidden_size, hidden_size)        # the MLM transform
        layer_norm = nn.LayerNorm(hidden_size, eps=config.layer_norm_eps)
        decoder = nn.Linear(hidden_size, vocab_size) whose weight IS word_embeddings.weight (tied)
            and whose bias is its own (initialised to zeros)
        seq_relationship = nn.Linear(hidden_size, 2)       # the NSP classifier

    forward(sequence_output (B, L, hidden_size), pooled_output (B, hidden_size))
        -> (mlm_logits (B, L, vocab_size), nsp_logits (B, 2)), where
        mlm_logits = decoder(layer_norm(gelu(dense(sequence_output)))) with the exact (erf) GELU,
        nsp_logits = seq_relationship(pooled_output).
    """

    def __init__(self, config: BertConfig, word_embeddings: nn.Embedding):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.decoder.weight.data.copy_(word_embeddings.weight.data)
        nn.init.zeros_(self.decoder.bias)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, sequence_output: torch.Tensor, pooled_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        transformed = self.layer_norm(F.gelu(self.dense(sequence_output)))
        return self.decoder(transformed), self.seq_relationship(pooled_output)
