"""Every size knob of a benchmark run in one typed object, and the built-in profiles.

``quick`` runs the whole harness on a tiny random model in seconds (CI). ``full`` is the real
comparison of every method on the bundled SmolLM2-135M, about 70 min on two CPU cores.
``quality`` asks enough questions to be read (24 per task, with bootstrap confidence intervals)
of the methods that matter — base, RAG, the memory trained with the per-fact recipe
(``QUALITY_RECIPE``), a LoRA at the matched budget with the same recipe, and the hybrid router.
Tune any of them with ``lift-memory bench --config FILE.json`` (any field below; ``lift`` takes
LiftConfig fields) and check the printed cost estimate (``estimate.py``) before committing an
hour.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.config import LiftConfig
from lift_memory_bench.generic import GENERIC_PROBES
from lift_memory_bench.names import METHODS, TASKS, MethodName, TaskName
from lift_memory_bench.variants import Variant, variant_config

# The settings that make a LiftConfig the paper's LIFT rather than the library's default memory.
PAPER_MEMORY: dict[str, Any] = {
    "adapter": "gated_memory",
    "learning_rate": 1e-2,
    "contextualized": True,
    "qa_with_context_fraction": 0.25,
}

# which training (if any) each method needs
METHOD_TRAINING: dict[MethodName, Variant] = {
    "lift": "lift",
    "lift-icl": "lift",
    "hybrid": "lift",
    "lora": "lora",
    "pissa": "pissa",
    "lift-no-qa": "lift-no-qa",
    "lift-no-ctx": "lift-no-ctx",
}


class BenchProfile(BaseModel):
    """Sizes, tasks and methods of one `lift-memory bench` run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "custom"
    model: str = Field(default="smollm2-135m", description="Base model id (as for ingest).")
    window: int = Field(
        default=512,
        ge=16,
        le=32768,
        description="The emulated short context: corpus tokens a method may put in its prompt "
        "(truncated ICL, LIFT + ICL, RAG passages).",
    )
    corpus_tokens: int = Field(
        default=2048, ge=64, description="Target corpus size; 4-8x the window is the setting."
    )
    questions_per_task: int = Field(default=6, ge=1, le=100)
    tasks: tuple[TaskName, ...] = TASKS
    methods: tuple[MethodName, ...] = METHODS
    max_new_tokens: int = Field(default=24, ge=1, le=512)
    seed: int = Field(default=0, ge=0)
    needle_group_size: int = Field(
        default=4, ge=2, le=8, description="Needles per multi-key group."
    )
    hotpot_paragraphs: Literal["supporting", "full"] = "supporting"
    rag_top_k: int = Field(default=2, ge=1, le=20)
    hybrid_policy: Literal["calibrated", "confidence", "retrieval-first"] = Field(
        default="calibrated",
        description="The hybrid router's SelectionPolicy: calibrated (the arm - memory, "
        "retrieval or both combined - most often right at its confidence / similarity level, "
        "measured on training questions as ingest does), confidence (the arm whose answer the "
        "model is surer of) or retrieval-first (retrieval when a passage is similar enough, "
        "else the memory).",
    )
    routing_probes: int = Field(
        default=220,
        ge=0,
        le=2000,
        description="Out-of-scope probes of the retention benchmark (relevance routing: auto "
        "vs forced memory mode, for the lift method); 0 leaves it out.",
    )
    rag_chunk_size: int = Field(
        default=192, gt=16, description="SentenceSplitter chunk size: top_k chunks fit the window."
    )
    generic_questions: int = Field(
        default=len(GENERIC_PROBES),
        ge=0,
        le=len(GENERIC_PROBES),
        description="Generic retention probes each memory answers (generic.GENERIC_PROBES): at "
        "110 one question is ~1 point and the relative drop's interval ~±20 points; at 16 one "
        "question was the whole of the 10 % bar.",
    )
    bootstrap_resamples: int = Field(
        default=1000,
        ge=0,
        le=100_000,
        description="Resamples of the questions for each score's 95 % confidence interval "
        "(0: no intervals).",
    )
    # `lift` is the paper's method, the Gated Memory with contextualized training; the library's
    # default memory (a LoRA, docs/architecture.md) is the `lora` arm with the same recipe
    lift: LiftConfig = LiftConfig.model_validate(PAPER_MEMORY)
    routed_memory: Literal["lift", "lora", "pissa"] = Field(
        default="lift",
        description="The memory the hybrid router and the routing retention benchmark run over: "
        "`lift` (the paper's Gated Memory) or the `lora` / `pissa` arm (the library's default "
        "memory is a LoRA). The method of that name must be among the methods for the "
        "routing benchmark to run.",
    )
    peft_learning_rate: float = Field(default=2e-3, gt=0.0, le=1.0)
    variant_overrides: dict[Variant, dict[str, Any]] = Field(
        default_factory=dict,
        description="LiftConfig fields one training replaces after its variant's own settings "
        "(the quality profile: the `lora` arm trains the library's default memory).",
    )
    # only for the printed cost estimate
    estimate_train_tokens_per_s: float = Field(default=140.0, gt=0.0)
    estimate_seconds_per_answer: float = Field(default=2.5, gt=0.0)

    @model_validator(mode="after")
    def _sensible(self) -> BenchProfile:
        if not self.tasks:
            raise ValueError("tasks: choose at least one task")
        if not self.methods:
            raise ValueError("methods: choose at least one method")
        if self.corpus_tokens < self.window:
            raise ValueError(
                f"corpus_tokens ({self.corpus_tokens}) must be at least the window "
                f"({self.window}): the benchmark emulates inputs longer than the context"
            )
        return self

    def trainings(self) -> list[Variant]:
        """The trainings the chosen methods need, each once, in method order."""
        trainings = [
            self.routed_memory if m == "hybrid" else METHOD_TRAINING[m]
            for m in self.methods
            if m in METHOD_TRAINING
        ]
        return list(dict.fromkeys(trainings))

    def training_config(self, variant: Variant, *, lora_rank: int = 16) -> LiftConfig:
        """The LiftConfig one training uses: its variant's (variants.py), then the profile's
        ``variant_overrides`` for it."""
        config = variant_config(
            self.lift, variant, lora_rank=lora_rank, peft_learning_rate=self.peft_learning_rate
        )
        overrides = self.variant_overrides.get(variant)
        if not overrides:
            return config
        return LiftConfig.model_validate({**config.model_dump(mode="json"), **overrides})

    def with_overrides(self, overrides: dict[str, Any]) -> BenchProfile:
        """This profile with some fields replaced (``lift`` merges into the LiftConfig, and each
        training's ``variant_overrides`` into the profile's own for it: the quality profile's
        `lora` arm keeps the library defaults apart from the fields given)."""
        data = self.model_dump(mode="json")
        lift = overrides.get("lift")
        if isinstance(lift, dict):
            overrides = {**overrides, "lift": {**data["lift"], **lift}}
        variants = overrides.get("variant_overrides")
        if isinstance(variants, dict):
            merged = dict(data["variant_overrides"])
            for variant, fields in variants.items():
                merged[variant] = {**merged.get(variant, {}), **(fields or {})}
            overrides = {**overrides, "variant_overrides": merged}
        return BenchProfile.model_validate({**data, **overrides})


QUICK = BenchProfile(
    name="quick",
    model="tiny-llama",
    window=256,  # the tiny model's tokenizer is byte-level: 256 tokens = 256 characters
    corpus_tokens=1024,
    questions_per_task=1,
    max_new_tokens=8,
    needle_group_size=3,
    rag_chunk_size=64,  # SentenceSplitter warns below ~50 tokens
    generic_questions=2,
    routing_probes=12,
    lift=LiftConfig(
        **PAPER_MEMORY,
        segment_length=128,
        segment_stride=96,
        context_window=128,
        stage1_epochs=1,
        stage2_epochs=1,
        qa_count=4,
        qa_generator="cloze",
        retention_samples=2,
        max_batch_tokens=2048,
        warmup_steps=1,
    ),
    peft_learning_rate=1e-3,
    estimate_train_tokens_per_s=15000.0,  # a tiny model trains fast
    estimate_seconds_per_answer=0.05,
)

FULL = BenchProfile(
    name="full",
    model="smollm2-135m",
    window=512,
    corpus_tokens=2048,  # 4x the window
    questions_per_task=6,
    max_new_tokens=24,
    lift=LiftConfig(
        **{**PAPER_MEMORY, "qa_with_context_fraction": 0.0},  # in-context QA costs ~5x the tokens
        segment_length=256,
        segment_stride=192,
        context_window=256,  # the recite samples' corpus view; answering uses `window`
        # 1 + 4 epochs fit the hour (five trainings); 1 + 6 took 91 min in all (single facts
        # 33 % instead of 17 %), 4 + 8 reached 67 % for one training (docs/benchmarks.md)
        stage1_epochs=1,
        stage2_epochs=4,
        # A dense corpus of invented facts needs QA on (nearly) every fact: with 30 pairs
        # single-fact recall stayed at the base model's 0 %, with 200 it reached 67 %.
        qa_count=200,
        qa_generator="auto",
        retention_samples=32,
        retention_passages=8,  # unrelated-text perplexity x2.95 -> x1.71 at 1 + 4 epochs
    ),
    peft_learning_rate=2e-3,
    estimate_train_tokens_per_s=230.0,  # top-12 Gated Memory / LoRA with frozen-prefix replay
)

# The memory's recipe in the quality profile — the one place to tune it; the matched LoRA trains
# with the same (variants.py). Per-fact QA (every fact of the corpus asked several ways, so the
# pair count follows the corpus), the facts restated as plain text, and stage 2 until 95 % of
# the facts are extractable closed-book (its epochs are then a maximum). The rest is the full
# profile's recipe.
QUALITY_RECIPE: dict[str, Any] = {
    # the library's recipe since the LoRA default: no context samples (half the training tokens
    # at the same closed-book recall, docs/architecture.md), for both memories
    "contextualized": False,
    "qa_generator": "facts",
    "qa_count": None,  # every fact x qa_per_fact, not the full profile's fixed 200
    "qa_per_fact": 4,  # the library's default
    "fact_statements": True,
    "learn_until": 0.95,
    # One stage-2 epoch is what the hour affords: on the ~5.8k-token corpus an epoch is ~1,300
    # QA pairs + statements + segments + the learn_until probes, ~170k training tokens (~12 min)
    # per training, and answering takes ~38 min. Each further epoch adds ~25 min to the run.
    "stage1_epochs": 1,
    "stage2_epochs": 1,
}

QUALITY = BenchProfile(
    name="quality",
    model="smollm2-135m",
    window=512,
    # The 24 questions of each task need ~5.5k SmolLM2 tokens of their own (HotpotQA's
    # supporting sentences ~2.4k, the invented facts ~2.1k, the needles with the least haystack
    # ~1.1k), so no distractor facts are added; at 5,120 the haystack grows a little: the corpus
    # is 5,764 tokens, ~11x the window.
    corpus_tokens=5120,
    questions_per_task=24,
    tasks=("fact-single", "fact-multihop", "fact-timeline", "needle-single", "hotpotqa"),
    # The paper's Gated Memory (`lift`) is left out for time (~25 min; --methods adds it back):
    # the bars are read on the library's default memory.
    methods=("base", "rag", "lora", "hybrid"),
    routed_memory="lora",  # the library's default memory: routing and the hybrid run over it
    # `ask`'s and the server's default: at 24 the memory's composed answers ("Saelholm, the
    # place where Leidaem Relgriosk was born, was founded in 13") were cut before their answer,
    # 8 of 24 multi-hop replies in the 2026-12-03 run (docs/benchmarks.md)
    max_new_tokens=ANSWER_MAX_NEW_TOKENS,
    lift=LiftConfig.model_validate({**FULL.lift.model_dump(), **QUALITY_RECIPE}),
    peft_learning_rate=FULL.peft_learning_rate,
    # the `lora` arm is the library's default memory as `lift-memory ingest` trains it: every
    # LiftConfig default (rank, stride, learning rate, learn_until and its epoch maximum)
    variant_overrides={"lora": LiftConfig().model_dump(mode="json")},
    # the library's default LoRA with its extractability probes, measured on this profile
    # (2026-12-05, two threads, the machine otherwise idle): 630k training tokens and seven
    # probes of the 1,633 questions (~870k work-tokens, probes at PROBE_COST) in 2,190 s
    estimate_train_tokens_per_s=350.0,
    # at 24 new tokens these methods answered in ~1.8-2.7 s (hybrid runs two arms, counted as
    # two answers); at 48 the base model and RAG, which ramble to the limit, take about twice
    # that, the memory's short answers do not: scaled to ~3 s, not yet measured
    estimate_seconds_per_answer=3.0,
)

PROFILES: dict[str, BenchProfile] = {"quick": QUICK, "full": FULL, "quality": QUALITY}
