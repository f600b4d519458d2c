"""Settings of the Gated Memory adapter (docs/design.md §1.2)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GatedMemorySettings(BaseModel):
    """Shape and start of the Gated Memory adapter (docs/design.md §1.2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layers: list[int] | None = Field(
        default=None,
        description="Decoder layer indices that carry memory; None means all (or the top "
        "`top_layers`).",
    )
    top_layers: int | None = Field(
        default=12,
        ge=1,
        description="With `layers` unset: memory in the top K layers only (None: every "
        "layer). The frozen layers below are computed once per sample and replayed (see "
        "frozen_prefix.py), so a step costs K layers of forward and backward, not all.",
    )
    hidden_multiplier: int = Field(
        default=4,
        ge=1,
        le=8,
        description="Memory MLP width as a multiple of head_dim (wider makes up for the "
        "fewer layers of the top-K default).",
    )
    gate_bias_init: float = Field(
        default=0.0,
        ge=-20.0,
        le=20.0,
        description="Initial bias of the per-query gate logit (the opening scale starts at 0).",
    )

    def chosen_layers(self, num_layers: int) -> list[int]:
        """The layer indices to adapt in a decoder of ``num_layers`` layers."""
        if self.layers is not None:
            return list(self.layers)
        return top_layer_indices(num_layers, self.top_layers)


def top_layer_indices(num_layers: int, top_layers: int | None) -> list[int]:
    """The indices of the top ``top_layers`` of ``num_layers`` decoder layers (None: all)."""
    if top_layers is None:
        return list(range(num_layers))
    return list(range(max(0, num_layers - top_layers), num_layers))
