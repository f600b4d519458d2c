"""Settings of the Gated Memory adapter (DESIGN §1.2)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GatedMemorySettings(BaseModel):
    """Shape and start of the Gated Memory adapter (DESIGN §1.2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layers: list[int] | None = Field(
        default=None, description="Decoder layer indices that carry memory; None means all."
    )
    hidden_multiplier: int = Field(
        default=2, ge=1, le=8, description="Memory MLP width as a multiple of head_dim."
    )
    gate_bias_init: float = Field(
        default=0.0,
        ge=-20.0,
        le=20.0,
        description="Initial bias of the per-query gate logit (the opening scale starts at 0).",
    )
