# WRONG ANSWER: builds the causal mask as a float mask; with boolean padding masks PyTorch then warns on stderr.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

class DecoderBlock(nn.Module):
    """One Transformer decoder block: masked self-attention, cross-attention, feed-forward.

    Equal to nn.TransformerDecoderLayer(d_model, num_heads, d_ff, dropout, batch_first=True,
    norm_first=norm_first) (ReLU activation, LayerNorm eps 1e-5): the same submodule names,
    so that layer's state_dict loads into this block, and the same outputs.

    Args:
        d_model: width of the token vectors; must be divisible by num_heads.
        num_heads: number of heads, in both attentions.
        d_ff: hidden width of the feed-forward network.
        dropout: dropout probability, used inside both attentions (on the attention weights),
            after the ReLU, and on each sublayer's output before the residual addition.
        norm_first: False = post-LN (the paper's order), True = pre-LN.

    Submodules: self_attn, multihead_attn (nn.MultiheadAttention with batch_first=True),
    linear1, dropout, linear2 (the feed-forward network), norm1, norm2, norm3 (nn.LayerNorm),
    dropout1, dropout2, dropout3 (nn.Dropout) -- the names of nn.TransformerDecoderLayer.

    Raises:
        ValueError: d_model is not divisible by num_heads.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1, norm_first: bool = False):
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
        self.norm_first = norm_first
        self.self_attn = nn.MultiheadAttention(d_model, num_heads, dropout=dropout, batch_first=True)
        self.multihead_attn = nn.MultiheadAttention(d_model, num_heads, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None,
                tgt_key_padding_mask: torch.Tensor | None = None,
                memory_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Run the block.

        Args:
            x: decoder input, shape (batch, T, d_model), floating point.
            memory: encoder output, shape (batch, S, d_model), same batch size and d_model as x.
            tgt_mask: self-attention mask of shape (T, T) in nn.MultiheadAttention's convention
                (bool: True = may NOT attend; float: added to the scores). None (the default)
                means the causal mask: position t attends to positions 0..t only. A mask that
                is passed is used as it is.
            tgt_key_padding_mask: optional (batch, T) bool, True where the target is padding.
            memory_key_padding_mask: optional (batch, S) bool, True where the source is padding;
                cross-attention gives those positions zero weight.

        Returns:
            Tensor of shape (batch, T, d_model), dtype of x.

        Raises:
            ValueError: x or memory is not 3-D, or their batch sizes or d_model differ.
        """
        if x.dim() != 3 or memory.dim() != 3:
            raise ValueError(f"x and memory must be (batch, length, d_model), got x {tuple(x.shape)} "
                             f"and memory {tuple(memory.shape)}")
        if x.shape[0] != memory.shape[0] or x.shape[2] != memory.shape[2]:
            raise ValueError(f"x {tuple(x.shape)} and memory {tuple(memory.shape)} must have the same "
                             f"batch size and d_model")
        if tgt_mask is None:
            T = x.shape[1]
            tgt_mask = nn.Transformer.generate_square_subsequent_mask(T, device=x.device, dtype=x.dtype)

        def self_attention(h):
            out = self.self_attn(h, h, h, attn_mask=tgt_mask, key_padding_mask=tgt_key_padding_mask,
                                 need_weights=False)[0]
            return self.dropout1(out)

        def cross_attention(h):
            out = self.multihead_attn(h, memory, memory, key_padding_mask=memory_key_padding_mask,
                                      need_weights=False)[0]
            return self.dropout2(out)

        def feed_forward(h):
            return self.dropout3(self.linear2(self.dropout(F.relu(self.linear1(h)))))

        if self.norm_first:
            x = x + self_attention(self.norm1(x))
            x = x + cross_attention(self.norm2(x))
            x = x + feed_forward(self.norm3(x))
        else:
            x = self.norm1(x + self_attention(x))
            x = self.norm2(x + cross_attention(x))
            x = self.norm3(x + feed_forward(x))
        return x
