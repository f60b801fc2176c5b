class BertEmbeddings(nn.Module):
    """BERT's input embeddings: token + learned position + segment (token type), LayerNorm, dropout.

    Modules (names fixed, as in Hugging Face's checkpoints):
        word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
            (padding_idx=config.pad_token_id is allowed, as in transformers)
        position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        dropout = nn.Dropout(config.hidden_dropout_prob)

    forward(input_ids, token_type_ids=None):
        input_ids: int64 (B, L); token_type_ids: int64 (B, L) or None (all zeros).
        Returns the float tensor (B, L, hidden_size):
        dropout(LayerNorm(word[input_ids] + position[0..L-1] + token_type[token_type_ids])).

    Raises:
        ValueError: in forward, if L > config.max_position_embeddings.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        length = input_ids.shape[1]
        if length > self.position_embeddings.num_embeddings:
            raise ValueError(f"a sequence of {length} tokens is longer than the {self.position_embeddings.num_embeddings} "
                             "learned positions")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        positions = torch.arange(length, device=input_ids.device)
        summed = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embeddings(token_type_ids)
        return self.LayerNorm(self.dropout(summed))
