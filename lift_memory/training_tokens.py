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
# The 'facts' generator, measured with the SmolLM2 tokenizer on the demo's ~1k-token sample and
# the bench's ~5k-token corpora: pairs per corpus token by qa_per_fact (a fact has ~2–3
# phrasings, so the count saturates), a pair's chat sample, plain-text statements per corpus
# token, and a learn_until probe (a teacher-forced forward: ~1/3 of a training token's work).
FACT_PAIRS_PER_TOKEN = {1: 0.10, 2: 0.16, 3: 0.20, 4: 0.22}
FACT_PAIRS_PER_TOKEN_MAX = 0.235
FACT_QA_TOKENS = 80
STATEMENT_TOKENS_PER_TOKEN = 1.64
PROBE_COST = 1 / 3


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
    if c.qa_generator == "facts":  # a maximum: learn_until may stop stage 2 earlier
        per_token = FACT_PAIRS_PER_TOKEN.get(c.qa_per_fact, FACT_PAIRS_PER_TOKEN_MAX)
        pairs = round(corpus_tokens * per_token)
        if c.qa_count:
            pairs = min(pairs, c.qa_count)
        sample = FACT_QA_TOKENS
    else:
        pairs, sample = c.planned_qa_count(), QA_TOKENS
    qa = pairs * sample
    qa += round(pairs * c.qa_with_context_fraction) * (sample + c.context_window)
    statements = round(corpus_tokens * STATEMENT_TOKENS_PER_TOKEN) if c.fact_statements else 0
    retention = c.retention_samples * RETENTION_TOKENS + c.retention_passages * PASSAGE_TOKENS
    stage2 = segments + statements + qa + retention
    probes = round(pairs * sample * PROBE_COST) if c.learn_until is not None else 0
    return c.stage1_epochs * segments + c.stage2_epochs * (stage2 + probes)
