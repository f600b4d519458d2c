"""Every knob of a LIFT ingest in one typed, validated object.

The defaults are tuned for the bundled SmolLM2-135M on a CPU: short segments, a small corpus
read many times, a high learning rate for the freshly initialised memory.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lift_memory.gated_memory.config import GatedMemorySettings, top_layer_indices

DEFAULT_QA_COUNT = 40  # pairs asked of the model / endpoint / cloze generators
AdapterKind = Literal["gated_memory", "lora", "pissa"]
QAGeneratorKind = Literal["auto", "model", "facts", "cloze", "openai", "jsonl", "none"]


class LoraSettings(BaseModel):
    """PEFT LoRA / PiSSA baselines for ablations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rank: int = Field(default=16, ge=1, le=512)
    alpha: int = Field(default=32, ge=1, le=4096)
    target_modules: str | list[str] = "all-linear"
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    top_layers: int | None = Field(
        default=None,
        ge=1,
        description="Adapt only the top K decoder layers (None: every layer). Matching the "
        "Gated Memory's placement makes an ablation compare modules, not placements, and lets "
        "training replay the frozen layers below (frozen_prefix.py).",
    )

    def chosen_layers(self, num_layers: int) -> list[int]:
        """The decoder layer indices this LoRA adapts, in a decoder of ``num_layers`` layers."""
        return top_layer_indices(num_layers, self.top_layers)


class LiftConfig(BaseModel):
    """Configuration of one LIFT ingest: segmentation, adapter, auxiliary tasks, optimisation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- segmentation (docs/design.md §1.1)
    segment_length: int = Field(default=256, ge=16, le=32768)
    segment_stride: int = Field(default=128, ge=1, le=32768)
    contextualized: bool = Field(
        default=True, description="Add 'truncated corpus + recite instruction' samples."
    )
    context_window: int = Field(
        default=256,
        ge=16,
        le=32768,
        description="Token budget of the truncated corpus view (training and inference).",
    )

    # --- adapter
    adapter: AdapterKind = "gated_memory"
    gated_memory: GatedMemorySettings = GatedMemorySettings()
    lora: LoraSettings = LoraSettings()

    # --- auxiliary QA (docs/design.md §1.3)
    qa_generator: QAGeneratorKind = "auto"
    qa_count: int | None = Field(
        default=None,
        ge=0,
        le=100000,
        description="Most QA pairs to generate (0: none). None: the generator's own count — "
        "every fact × qa_per_fact for 'facts', 40 for the others.",
    )
    qa_per_fact: int = Field(
        default=4,
        ge=1,
        le=32,
        description="'facts' generator: phrasings per fact (fronted, active, reverse, "
        "short-name, in-situ), so the pair count scales with the corpus's facts.",
    )
    fact_statements: bool = Field(
        default=True,
        description="Also train each paragraph restated as its facts' short sentences and with "
        "its sentences reordered, as plain text in stage 2 ('facts' generator's parse).",
    )
    qa_answer_style: Literal["sentence", "short"] = Field(
        default="sentence",
        description="sentence: train the evidence sentence as the reply (the fact in the "
        "model's own answering style, recalled through the memorised text); short: the bare "
        "answer span.",
    )
    self_distillation: float = Field(
        default=0.0,
        ge=0.0,
        le=10.0,
        description="Weight of the KL to the base model answering with the fact's paragraph in "
        "its prompt, added to the cross-entropy of closed-book QA samples where that teacher "
        "answers right (docs/lift.md §7). 0: cross-entropy alone.",
    )
    qa_with_context_fraction: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="Share of QA samples that also see a truncated corpus view in the prompt.",
    )
    retention_samples: int = Field(
        default=16,
        ge=0,
        le=1000,
        description="Generic prompts whose base-model answers are kept as targets, "
        "so the memory learns to stay closed for unrelated queries.",
    )
    retention_passages: int = Field(
        default=0,
        ge=0,
        le=8,
        description="Bundled generic prose passages (up to 8) trained as retention text, so "
        "the memory also leaves ordinary text alone, not only short Q&A turns.",
    )

    retention_loss: Literal["kl", "ce"] = Field(
        default="kl",
        description="kl: match the base model's distribution at every position of retention "
        "samples; ce: cross-entropy on the base model's greedy answers only.",
    )
    retention_gate_penalty: float = Field(
        default=0.0,
        ge=0.0,
        le=100.0,
        description="Weight of the mean gate value added to the loss of retention batches: "
        "pushes the gate shut for queries unrelated to the corpus.",
    )

    # --- train until facts are extractable (docs/lift.md §4)
    learn_until: float | None = Field(
        default=0.9,
        gt=0.0,
        le=1.0,
        description="Stage 2 ends once this share of the facts is extractable closed-book "
        "(every reply token above extractable_threshold, teacher-forced); learned facts rest "
        "in later epochs. stage2_epochs is then a maximum. None: train every epoch.",
    )
    extractable_threshold: float = Field(default=0.5, gt=0.0, lt=1.0)

    # --- optimisation (docs/design.md §1: stage 1 segments, stage 2 segments ∪ QA)
    # stage 1 only has to make the text familiar; stage 2 runs until the facts are learned
    # (learn_until), with stage2_epochs as its maximum
    stage1_epochs: int = Field(default=2, ge=0, le=1000)
    stage2_epochs: int = Field(default=12, ge=0, le=1000)
    learning_rate: float = Field(default=1e-2, gt=0.0, le=1.0)
    weight_decay: float = Field(default=0.0, ge=0.0, le=1.0)
    warmup_steps: int = Field(default=5, ge=0, le=100000)
    max_grad_norm: float = Field(default=1.0, gt=0.0, le=1000.0)
    max_batch_tokens: int = Field(
        default=1024, ge=16, le=1_000_000, description="Padded tokens per optimizer step."
    )
    seed: int = Field(default=0, ge=0)
    checkpoint_every_steps: int = Field(
        default=50, ge=1, le=1_000_000, description="Also checkpointed at every epoch end."
    )
    frozen_cache_max_bytes: int = Field(
        default=4 * 1024**3,
        ge=0,
        description="Memory allowed for the hidden states of the frozen layers below the "
        "first adapted layer, computed once per sample instead of every epoch; 0 turns the "
        "cache off. Above the limit training falls back to full forward passes.",
    )

    def planned_qa_count(self) -> int:
        """The QA pairs a generator other than 'facts' is asked for."""
        return DEFAULT_QA_COUNT if self.qa_count is None else self.qa_count

    @model_validator(mode="after")
    def _stride_shorter_than_segment(self) -> LiftConfig:
        if self.segment_stride >= self.segment_length:
            raise ValueError(
                f"segment_stride ({self.segment_stride}) must be smaller than "
                f"segment_length ({self.segment_length})"
            )
        if self.stage1_epochs + self.stage2_epochs == 0:
            raise ValueError("at least one of stage1_epochs / stage2_epochs must be > 0")
        return self
