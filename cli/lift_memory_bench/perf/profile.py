"""The sizes of one perf run: ``FULL`` on the real default model, ``QUICK`` on a tiny one."""

from __future__ import annotations

from dataclasses import dataclass, field

from lift_memory.config import LiftConfig


@dataclass(frozen=True)
class PerfProfile:
    """Sizes of one perf run; ``full`` is the real default model, ``quick`` a tiny one."""

    model: str = "smollm2-135m"
    text_tokens: int = 200
    lift_overrides: dict = field(
        default_factory=lambda: {
            "segment_length": 128,
            "segment_stride": 64,
            "context_window": 96,
        }
    )
    lora_rank: int = 16
    small_corpus_tokens: int = 1_000
    large_corpus_tokens: int = 64_000
    latency_questions: int = 20
    latency_rounds: int = 4  # alternating small/large rounds; see measure_memory_latency
    answer_tokens: int = 16
    icl_tokens: tuple[int, ...] = (4_000, 8_000)
    icl_repeats: int = 3
    threads: int = 0  # 0: torch's default

    def lift_config(self, **extra: object) -> LiftConfig:
        """The LiftConfig of this profile's ingests, with ``extra`` fields replaced."""
        return LiftConfig.model_validate({**self.lift_overrides, **extra})


FULL = PerfProfile()
QUICK = PerfProfile(
    model="tiny-llama",
    lift_overrides={
        "segment_length": 64,
        "segment_stride": 32,
        "context_window": 48,
        "stage1_epochs": 2,
        "stage2_epochs": 2,
        "qa_count": 6,
        "qa_generator": "cloze",
        "retention_samples": 2,
        "max_batch_tokens": 256,
        "gated_memory": {"top_layers": 1},
    },
    lora_rank=4,
    small_corpus_tokens=300,
    large_corpus_tokens=3_000,
    latency_questions=20,
    latency_rounds=2,
    answer_tokens=4,
    icl_tokens=(200, 400),
    icl_repeats=2,
    threads=1,
)
