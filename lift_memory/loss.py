"""Causal-LM loss that projects only the labelled positions onto the vocabulary.

QA and retention samples carry labels on a handful of answer tokens after a long prompt; the
full ``(batch, length, vocab)`` logits tensor (49k columns for SmolLM2) is mostly wasted work
there. Running the decoder, then the output head on the labelled positions only, gives the same
loss for a fraction of the head's cost and memory.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lift_memory.prompts import IGNORE_INDEX


def _final_softcap(model: nn.Module) -> float | None:
    config = getattr(model, "config", None)
    return getattr(config, "final_logit_softcapping", None) if config is not None else None


def hidden_states(
    model: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> torch.Tensor:
    """Last hidden states of the decoder (before the output head)."""
    decoder = model.get_decoder()
    return decoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def logits_at(model: nn.Module, hidden: torch.Tensor) -> torch.Tensor:
    """The output head applied to selected hidden states (with Gemma's soft-capping if any)."""
    logits = model.get_output_embeddings()(hidden)
    cap = _final_softcap(model)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return logits.float()


def labelled_logits(
    model: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    labels: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits at the positions that predict a labelled token, and those tokens.

    Rows come in row-major order: the batch's first sample's labelled positions first, each
    sample's in increasing position (what :mod:`lift_memory.distillation` lines teachers up with).
    """
    return logits_of_labelled(model, hidden_states(model, input_ids, attention_mask), labels)


def logits_of_labelled(
    model: nn.Module, hidden: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`labelled_logits` from decoder states ``hidden`` at the positions ``labels`` label
    (a batch's whole width, or the part after a shared prefix: ``shared_prefix.py``)."""
    targets = labels[:, 1:]
    keep = targets != IGNORE_INDEX
    selected = hidden[:, :-1][keep]
    if selected.numel() == 0:
        return hidden.sum() * 0.0, targets[keep]
    return logits_at(model, selected), targets[keep]


def labelled_loss(model: nn.Module, hidden: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over the labelled positions of decoder states ``hidden``."""
    logits, targets = logits_of_labelled(model, hidden, labels)
    if targets.numel() == 0:
        return logits  # a zero that keeps the graph
    return F.cross_entropy(logits, targets)


def causal_lm_loss(
    model: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    labels: torch.Tensor,
) -> torch.Tensor:
    """Mean next-token cross-entropy over the labelled positions."""
    return labelled_loss(model, hidden_states(model, input_ids, attention_mask), labels)
