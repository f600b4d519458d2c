"""How many tokens an ingest trains on, estimated without a tokenizer or a model.

Mirrors the sample building of ``ingest.training_stages`` for a one-document corpus, so a demo
or a benchmark profile can size its training budget (tokens ÷ tokens/s) before loading anything.
Pure Python on purpose: importing it costs no torch.
"""

from __future__ import annotations

from typing import Any

from lift_memory.config import LiftConfig
from lift_memory.segments import segment_spans

__all__ = [
    "PASSAGE_TOKENS",
    "QA_TOKENS",
    "RECITE_INSTRUCTION_TOKENS",
    "RETENTION_TOKENS",
    "estimate_training_tokens",
]

QA_TOKENS = 75  # one QA sample: chat template + question + evidence sentence
RETENTION_TOKENS = 55  # one retention sample: chat template + prompt + short answer
PASSAGE_TOKENS = 75  # a bundled retention passage (retention.GENERIC_PASSAGES)
RECITE_INSTRUCTION_TOKENS = 40  # a contextualized sample's chat template + recite instruction


def estimate_training_tokens(corpus_tokens: int, config: dict[str, Any]) -> int:
    """Tokens the trainer reads for ``config`` (a LiftConfig dict) on a one-document corpus.

    Matches the engine's sample building: overlapping segments in both stages; QA pairs and
    retention samples in stage 2 (plus, when enabled, contextualized and in-context QA samples).
    """
    c = LiftConfig.model_validate(config)
    spans = segment_spans(corpus_tokens, c.segment_length, c.segment_stride)
    segments = sum(end - start for start, end in spans)
    if c.contextualized:  # window + recite instruction + the segment again
        segments += sum(
            c.context_window + RECITE_INSTRUCTION_TOKENS + end - start for start, end in spans
        )
    pairs = c.planned_qa_count()
    qa = pairs * QA_TOKENS
    qa += round(pairs * c.qa_with_context_fraction) * (QA_TOKENS + c.context_window)
    retention = c.retention_samples * RETENTION_TOKENS + c.retention_passages * PASSAGE_TOKENS
    return c.stage1_epochs * segments + c.stage2_epochs * (segments + qa + retention)
