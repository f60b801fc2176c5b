class BertPooler(nn.Module):
    """tanh(dense(hidden_states[:, 0])): the [CLS] position's summary of the sequence.

    Module: dense = nn.Linear(config.hidden_size, config.hidden_size).
    forward(hidden_states (B, L, hidden_size)) -> (B, hidden_size).
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden_states.mean(dim=1)))
