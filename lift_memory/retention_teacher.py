"""The base model's next-token distributions on the retention samples, its states kept.

KL retention (``train.py``) matches the memory's next-token distribution to the base model's at
every position of a retention sample. The base model does not change while a memory trains, and
every retention sample is trained every epoch, so the teacher's last hidden states are the same
each time: they are kept per sample (``hidden_size x 4`` bytes a position: 22 MB for the quality
corpus's 9.4k retention tokens), and from the second epoch on the teacher costs only its output
head, not the adapted layers' forward pass (docs/benchmarks.md, twenty-ninth session).

The states of a batch's new samples are computed with the whole batch as before (so the first
epoch computes what it always did); a later batch of other samples pads differently, which moves
a state by float rounding at most, as the frozen-layer replay's cache does (``frozen_prefix.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lift_memory.frozen_prefix import padded_states, sample_key
from lift_memory.loss import hidden_states, logits_at
from lift_memory.prompts import TrainingSample


class TeacherStates:
    """Last hidden states of the base model (the adapter off) per retention sample."""

    def __init__(self) -> None:
        self._states: dict[tuple[int, ...], torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self._states)

    @torch.no_grad()
    def log_probs(
        self,
        model: nn.Module,
        samples: Sequence[TrainingSample] | None,
        inputs: dict[str, torch.Tensor],
    ) -> torch.Tensor:
        """The teacher's log-probabilities at the batch's attended positions (row-major), for
        ``inputs`` collated from ``samples`` (None: computed, not kept); call with the adapter
        off (the base model)."""
        mask = inputs["attention_mask"].bool()
        if not samples:
            hidden = hidden_states(model, inputs["input_ids"], inputs["attention_mask"])
            return torch.log_softmax(logits_at(model, hidden[mask]), dim=-1)
        if any(sample_key(sample) not in self._states for sample in samples):
            hidden = hidden_states(model, inputs["input_ids"], inputs["attention_mask"])
            for row, sample in enumerate(samples):
                key = sample_key(sample)
                if key not in self._states:
                    self._states[key] = hidden[row, : len(sample.input_ids)].float().clone()
        states = padded_states([self._states[sample_key(s)] for s in samples], mask.shape[1])
        head = model.get_output_embeddings()
        return torch.log_softmax(logits_at(model, states[mask].to(head.weight.dtype)), dim=-1)
