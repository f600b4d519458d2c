"""One attention layer's Gated Memory: a per-head memory MLP and a per-query scalar gate.

For every query head h, with q the head's query before rotary embedding:

    m_h(q) = W2_h · SiLU(W1_h · q)                      head_dim → k·head_dim → head_dim
    g_h(q) = σ(w_h · SiLU(W3_h · q) + b_h) · tanh(a_h)   head_dim → ⌊√head_dim⌋ → 1
    o_h    = (1 − g_h) · Attn_h + g_h · m_h(q)

The ``tanh(a_h)`` factor (a_h = 0 at start) is our addition to the paper's gate: it makes the
adapted model output-identical to the base model at initialisation while every weight still
receives gradient (as in Flamingo's tanh-gated cross-attention). A low gate bias alone either
attenuates every head or leaves the gate too closed to learn.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class GatedMemoryLayer(nn.Module):
    """Memory and gate weights for the query heads of one attention module."""

    def __init__(
        self,
        num_heads: int,
        head_dim: int,
        hidden_multiplier: int = 2,
        gate_bias_init: float = 0.0,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim
        hidden = hidden_multiplier * head_dim
        gate_hidden = max(1, math.isqrt(head_dim))
        # Per-head weights stacked on a leading head axis so that one einsum serves all heads.
        self.w1 = nn.Parameter(torch.empty(num_heads, head_dim, hidden))
        self.w2 = nn.Parameter(torch.empty(num_heads, hidden, head_dim))
        self.w3 = nn.Parameter(torch.empty(num_heads, head_dim, gate_hidden))
        self.gate_weight = nn.Parameter(torch.empty(num_heads, gate_hidden))
        self.gate_bias = nn.Parameter(torch.full((num_heads,), float(gate_bias_init)))
        self.gate_scale = nn.Parameter(torch.zeros(num_heads))
        self.reset_parameters()
        self.active = True
        # Relevance routing's soft option scales every gate by the question's relevance
        # (plain attribute, never saved); 1.0 leaves the gate exactly as trained.
        self.gate_multiplier = 1.0
        self._query: torch.Tensor | None = None
        self.last_gate: torch.Tensor | None = None
        self._gate_sum = 0.0
        self._gate_count = 0

    def reset_parameters(self) -> None:
        for weight in (self.w1, self.w2, self.w3):
            bound = 1.0 / math.sqrt(weight.shape[1])
            nn.init.uniform_(weight, -bound, bound)
        bound = 1.0 / math.sqrt(self.gate_weight.shape[1])
        nn.init.uniform_(self.gate_weight, -bound, bound)
        with torch.no_grad():
            self.gate_scale.zero_()

    def gate(self, query: torch.Tensor) -> torch.Tensor:
        """Gate value per token and head, shape ``(..., num_heads)``; query is ``(..., H, d)``."""
        hidden = F.silu(torch.einsum("...hd,hdg->...hg", query, self.w3))
        logit = torch.einsum("...hg,hg->...h", hidden, self.gate_weight) + self.gate_bias
        gate = torch.sigmoid(logit) * torch.tanh(self.gate_scale)
        return gate if self.gate_multiplier == 1.0 else gate * self.gate_multiplier

    def memory(self, query: torch.Tensor) -> torch.Tensor:
        """Memory read-out per head, shape ``(..., H, d)``."""
        hidden = F.silu(torch.einsum("...hd,hde->...he", query, self.w1))
        return torch.einsum("...he,hed->...hd", hidden, self.w2)

    def blend(self, query: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """Mix the attention output with the memory; both inputs are ``(B, T, H·d)``."""
        shape = attention.shape
        q = query.reshape(*shape[:-1], self.num_heads, self.head_dim).to(self.w1.dtype)
        attn = attention.reshape(*shape[:-1], self.num_heads, self.head_dim)
        gate = self.gate(q)
        self.last_gate = gate  # kept (with its graph while training) for the gate penalty
        self._gate_sum += float(gate.detach().abs().sum())
        self._gate_count += gate.numel()
        mixed = attn + gate.unsqueeze(-1).to(attn.dtype) * (self.memory(q).to(attn.dtype) - attn)
        return mixed.reshape(shape)

    # --- gate statistics, read after a forward pass
    def reset_gate_stats(self) -> None:
        self._gate_sum, self._gate_count = 0.0, 0

    def mean_gate(self) -> float | None:
        return self._gate_sum / self._gate_count if self._gate_count else None

    def extra_repr(self) -> str:
        return f"heads={self.num_heads}, head_dim={self.head_dim}, hidden={self.w1.shape[-1]}"
