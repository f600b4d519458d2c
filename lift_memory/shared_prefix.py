"""Run the prompt prefix a batch's samples share once, and let every row attend to it.

Every QA sample opens with the same chat header — SmolLM2's default system prompt and the user
turn's marker, 24 of a QA sample's ~66-74 tokens (docs/benchmarks.md) — and within one optimizer
step the model is the same for every row, so that header's keys and values are the same in every
row too. Computing them once (a batch of one) and broadcasting them to the batch gives the same loss
and gradients (the shared prefix's gradient sums over the rows, as separate copies' would) for
the work of one header per batch instead of one per sample. Only positions before every sample's
first labelled token are shared, so no loss term moves.

The frozen-prefix replay (``frozen_prefix.py``) still skips the frozen lower layers: it serves the
prefix's cached states to the first call and the rest's to the second (``Replay.select``).
With LoRA dropout (0 by default) the rows share one dropout mask over the header: equal in
expectation, not draw for draw.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Protocol

import torch
from torch import nn
from transformers import DynamicCache

from lift_memory.loss import labelled_loss
from lift_memory.prompts import IGNORE_INDEX, TrainingSample

# Below this a shared prefix saves less than the second decoder call costs.
MIN_SHARED_PREFIX = 8


class Replay(Protocol):
    """The frozen-prefix replay of the current batch: which rows and positions a call sees."""

    def select(self, rows: slice, positions: slice) -> None: ...


def shared_prefix_length(samples: Sequence[TrainingSample]) -> int:
    """How many leading tokens all ``samples`` share before the first labelled token of any of
    them (at least one position of each sample is left to compute per row)."""
    if len(samples) < 2:
        return 0
    limit = min(len(sample.input_ids) - 1 for sample in samples)
    for sample in samples:
        labelled = next((i for i, label in enumerate(sample.labels) if label != IGNORE_INDEX), None)
        if labelled is not None:
            # position i - 1 predicts token i: it must be computed with the row, not shared
            limit = min(limit, labelled - 1)
    first = samples[0].input_ids
    length = 0
    while length < limit and all(sample.input_ids[length] == first[length] for sample in samples):
        length += 1
    return length


def _cache_keyword(decoder: nn.Module) -> str:
    # transformers renamed `past_key_values` to `cache` in 5.x; either is accepted while both live
    parameters = inspect.signature(decoder.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def _broadcast(cache: DynamicCache, rows: int, length: int, device: torch.device) -> None:
    """Every layer's prefix keys and values, seen by ``rows`` rows (a view, not a copy). Layers
    the replay skipped hold no states; a one-wide placeholder gives them the prefix's length,
    which is all the mask sizing reads from them."""
    for layer in cache.layers:
        if getattr(layer, "is_initialized", False) and layer.keys.numel():
            layer.keys = layer.keys.expand(rows, -1, -1, -1)
            layer.values = layer.values.expand(rows, -1, -1, -1)
        else:
            placeholder = torch.zeros(1, 1, 1, 1, device=device).expand(rows, 1, length, 1)
            layer.update(placeholder, placeholder)


def shared_prefix_hidden(
    model: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    prefix: int,
    replay: Replay | None = None,
) -> torch.Tensor:
    """The decoder's last hidden states at positions ``prefix`` onwards of a batch whose rows
    share their first ``prefix`` tokens, computing those once."""
    decoder = model.get_decoder()
    keyword = _cache_keyword(decoder)
    rows, width = input_ids.shape
    cache = DynamicCache(config=model.config)
    if replay is not None:
        replay.select(slice(0, 1), slice(0, prefix))
    decoder(
        input_ids=input_ids[:1, :prefix],
        attention_mask=attention_mask[:1, :prefix],
        use_cache=True,
        **{keyword: cache},
    )
    _broadcast(cache, rows, prefix, input_ids.device)
    if replay is not None:
        replay.select(slice(None), slice(prefix, None))
    positions = torch.arange(prefix, width, device=input_ids.device).unsqueeze(0)
    return decoder(
        input_ids=input_ids[:, prefix:],
        attention_mask=attention_mask,
        position_ids=positions.expand(rows, -1),
        use_cache=True,
        **{keyword: cache},
    ).last_hidden_state


def shared_prefix_loss(
    model: nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    labels: torch.Tensor,
    prefix: int,
    replay: Replay | None = None,
) -> torch.Tensor:
    """``loss.causal_lm_loss`` of a batch whose rows share their first ``prefix`` tokens,
    computing those once."""
    hidden = shared_prefix_hidden(model, input_ids, attention_mask, prefix, replay)
    return labelled_loss(model, hidden, labels[:, prefix:])
