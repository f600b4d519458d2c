"""Compute the frozen lower layers once per sample and replay them in every later epoch.

When the memory sits in the top K decoder layers only, everything below the first adapted layer
is a fixed function of the input tokens: the base model is frozen and nothing trainable runs
there. LIFT trains for many epochs over the same samples, so the hidden states entering the first
adapted layer are computed once (no grad) and kept; each training step then runs only the
embedding lookup, the mask/rotary set-up and the top K layers. The lower layers are swapped for
pass-through modules for the duration of a step, which works for any decoder whose layers return
a hidden-states tensor (Llama, Qwen2, Gemma3 in transformers 5) and copies no model code.

Cost: ``hidden_size × 4`` bytes per distinct training token (2.3 KiB for SmolLM2); the trainer
falls back to full forwards when that exceeds ``LiftConfig.frozen_cache_max_bytes``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from lift_memory.batches import collate
from lift_memory.models import decoder_layers
from lift_memory.prompts import TrainingSample


class _Captured(Exception):
    """Raised from a pre-hook to stop the forward pass once the wanted input is seen."""

    def __init__(self, hidden: torch.Tensor) -> None:
        super().__init__()
        self.hidden = hidden


class _PassThrough(nn.Module):
    """A decoder layer that returns its input: the work was done when the cache was filled."""

    def forward(self, hidden_states: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        return hidden_states


class _Replay(nn.Module):
    """The last frozen layer: returns the cached hidden states of the current batch (or of the
    rows and positions ``select`` chose, for a forward pass over part of it)."""

    def __init__(self, hidden: torch.Tensor) -> None:
        super().__init__()
        self.hidden = hidden
        self.view = hidden

    def select(self, rows: slice, positions: slice) -> None:
        """Serve only these rows and positions (``shared_prefix.py``: the prefix, then the rest)."""
        self.view = self.hidden[rows, positions]

    def forward(self, hidden_states: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        return self.view.to(hidden_states.dtype)


def sample_key(sample: TrainingSample) -> tuple[int, ...]:
    """What a sample's kept states are found by: hidden states depend on the tokens only
    (causal attention, right padding)."""
    return tuple(sample.input_ids)


def padded_states(rows: Sequence[torch.Tensor], width: int) -> torch.Tensor:
    """Per-sample states (each ``positions x hidden``) as one batch, right-padded with zeros
    (or cut) to ``width`` positions."""
    out = rows[0].new_zeros((len(rows), width, rows[0].shape[-1]))
    for row, states in enumerate(rows):
        kept = states[:width]
        out[row, : kept.shape[0]] = kept
    return out


class FrozenPrefixCache:
    """Hidden states entering decoder layer ``first_layer``, one tensor per distinct sample."""

    def __init__(self, model: nn.Module, first_layer: int) -> None:
        if first_layer < 1:
            raise ValueError("nothing to cache: the first adapted layer is layer 0")
        self.model = model
        self.first_layer = first_layer
        self._states: dict[tuple[int, ...], torch.Tensor] = {}

    @staticmethod
    def bytes_needed(model: nn.Module, samples: Sequence[TrainingSample]) -> int:
        """What caching ``samples`` would hold in memory (float32 hidden states)."""
        hidden_size = model.get_input_embeddings().embedding_dim
        distinct = {sample_key(sample): len(sample.input_ids) for sample in samples}
        return sum(distinct.values()) * hidden_size * 4

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, sample: TrainingSample) -> bool:
        return sample_key(sample) in self._states

    @torch.no_grad()
    def fill(
        self, batches: Sequence[Sequence[TrainingSample]], pad_id: int, device: torch.device
    ) -> None:
        """Run the lower layers once for every sample not cached yet."""
        target = decoder_layers(self.model)[self.first_layer]

        def capture(_module: nn.Module, args: tuple, kwargs: dict) -> None:
            hidden = args[0] if args else kwargs["hidden_states"]
            raise _Captured(hidden)

        handle = target.register_forward_pre_hook(capture, with_kwargs=True)
        try:
            for batch in batches:
                todo = [sample for sample in batch if sample not in self]
                if not todo:
                    continue
                inputs = collate(todo, pad_id, device)  # the trainer's padding: replays line up
                # float32 whatever the training step around it computes in (LiftConfig.
                # precision): what inference computes, and the same for any batch a sample
                # is first seen in, so a resumed run replays what the interrupted one did
                try:
                    with torch.autocast(device.type, enabled=False):
                        self.model.get_decoder()(
                            input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
                        )
                except _Captured as captured:
                    for row, sample in enumerate(todo):
                        length = len(sample.input_ids)
                        self._states[sample_key(sample)] = (
                            captured.hidden[row, :length].float().clone()
                        )
                else:  # pragma: no cover - the hook always fires
                    raise RuntimeError("the decoder never reached the first adapted layer")
        finally:
            handle.remove()

    def batch_states(self, batch: Sequence[TrainingSample], width: int) -> torch.Tensor:
        """The cached states of ``batch``, right-padded with zeros (or cut) to ``width``
        positions: a forward over the first ``width`` tokens of each sample replays them too."""
        return padded_states([self._states[sample_key(sample)] for sample in batch], width)

    @contextlib.contextmanager
    def replaying(self, batch: Sequence[TrainingSample], width: int) -> Iterator[_Replay]:
        """Within the block, a forward pass skips the frozen layers and starts from the cache;
        the block gets the replay, to narrow it to part of the batch (``_Replay.select``)."""
        layers = decoder_layers(self.model)
        originals = [layers[index] for index in range(self.first_layer)]
        for index in range(self.first_layer - 1):
            layers[index] = _PassThrough()
        replay = _Replay(self.batch_states(batch, width))
        layers[self.first_layer - 1] = replay
        try:
            yield replay
        finally:
            for index, original in enumerate(originals):
                layers[index] = original
