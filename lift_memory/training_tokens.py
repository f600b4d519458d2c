"""How many tokens an ingest trains on, estimated without a tokenizer or a model.

Mirrors the sample building of ``ingest.training_stages`` for a one-document corpus, so a demo
or a benchmark profile can size its training budget (tokens ÷ tokens/s) before loading anything.
Two figures: ``estimate_training_tokens`` is the most a run can train (every epoch, every
sample); with ``learn_until`` a run usually stops earlier and rests the facts it has learned,
which ``expected_training_tokens`` models from measured runs (docs/benchmarks.md). Pure Python
on purpose: importing it costs no torch.
"""

from __future__ import annotations

import math
from typing import Any

from lift_memory.config import LiftConfig
from lift_memory.retention_share import retention_repeats
from lift_memory.segments import segment_spans

__all__ = [
    "PASSAGE_TOKENS",
    "QA_TOKENS",
    "RECITE_INSTRUCTION_TOKENS",
    "RETENTION_TOKENS",
    "estimate_training_tokens",
    "expected_stage2_pending",
    "expected_training_tokens",
    "first_epoch_learned",
    "later_epoch_learned",
]

QA_TOKENS = 75  # one QA sample: chat template + question + evidence sentence
RETENTION_TOKENS = 55  # one retention sample: chat template + prompt + short answer
PASSAGE_TOKENS = 75  # a bundled retention passage (retention.GENERIC_PASSAGES)
SELF_PROMPT_TOKENS = 76  # a chat the model writes itself (self_prompts.py; SmolLM2, 64 chats)
SELF_PASSAGE_TOKENS = 95  # a passage the model writes itself (SmolLM2, 48 passages)
RECITE_INSTRUCTION_TOKENS = 40  # a contextualized sample's chat template + recite instruction
# The 'facts' generator, measured with the SmolLM2 tokenizer on the demo's ~1k-token sample and
# the bench's ~5k-token corpora: pairs per corpus token by qa_per_fact (a fact has ~2–3
# phrasings, so the count saturates), a pair's chat sample, plain-text statements per corpus
# token, and a learn_until probe (a teacher-forced forward over the adapted layers only, the
# chat header shared: 1.8 ms a token against a shared-header training token's 6.7 ms on
# SmolLM2, one thread, docs/benchmarks.md).
FACT_PAIRS_PER_TOKEN = {1: 0.10, 2: 0.16, 3: 0.20, 4: 0.22}
FACT_PAIRS_PER_TOKEN_MAX = 0.235
FACT_QA_TOKENS = 80
# qa_timeline_pairs: two orderings per compared pair of dated events, ~2 comparisons per event;
# on the date-dense quality corpus 260 pairs for 5,764 tokens (prose with a few dates: ~0.006)
TIMELINE_PAIRS_PER_TOKEN = 0.045
# qa_timeline_reply: tokens a reply adds over the pick's; years-first recalls both events'
# years before the pick (39 vs 21 tokens a reply on the 2.3k fiction corpus), years-compared
# also states their order ("1266 is before 1300.": 56 vs 43 tokens)
TIMELINE_REPLY_EXTRA_TOKENS = {"pick": 0, "years-first": 18, "years-compared": 31}
# qa_composed_frames > 1: the compositions' synonym frames (most facts have one, so more frames
# add nothing): +33 pairs on the quality corpus's 5,764 tokens, +28 on a 1,118-token multi-hop
# corpus, none on the demo text
COMPOSED_FRAME_PAIRS_PER_TOKEN = 0.006
STATEMENT_TOKENS_PER_TOKEN = 1.64
PROBE_COST = 0.27
# How fast facts become extractable at the library defaults (a top-12 LoRA, learn_until 0.9),
# measured per stage-2 epoch (docs/benchmarks.md, "Session of 2026-12-05 (twelfth)"): a share
# of the facts after the first epoch (the 1k-token demo text 41/117, the ~5.8k-token quality
# corpus 167–177/778), then each epoch learns a share of the still pending facts (~47 % on the
# demo text, ~34 % on the quality corpus, net of resting facts forgotten). Both shares shrink
# with the corpus (more facts interfere); the log-linear rule below fits the two corpora.
# Expected, not promised: the curves of one recipe vary by a few facts an epoch.
FIRST_EPOCH_LEARNED_AT_1K = 0.35
LATER_EPOCH_LEARNED_AT_1K = 0.47
LEARNED_PER_LN = 0.075  # both shares lose this per e-fold of corpus tokens
LEARNED_SHARE_MIN = 0.1  # a floor: every epoch still learns something


def estimate_training_tokens(corpus_tokens: int, config: dict[str, Any]) -> int:
    """The most tokens the trainer reads for ``config`` (a LiftConfig dict) on a one-document
    corpus: every epoch of both stages, every sample (``learn_until`` never stopping early).

    Matches the engine's sample building: overlapping segments in both stages; QA pairs and
    retention samples in stage 2 (plus, when enabled, contextualized and in-context QA samples).
    """
    return _training_tokens(corpus_tokens, LiftConfig.model_validate(config), expected=False)


def expected_training_tokens(corpus_tokens: int, config: dict[str, Any]) -> int:
    """The tokens a run of ``config`` is expected to train: as ``estimate_training_tokens``, but
    with ``learn_until`` stage 2 ends once that share of the facts is learned and learned facts'
    QA samples rest (``expected_stage2_pending``). Without ``learn_until`` the two agree."""
    return _training_tokens(corpus_tokens, LiftConfig.model_validate(config), expected=True)


def later_epoch_learned(corpus_tokens: int) -> float:
    """The share of the pending facts a stage-2 epoch after the first is expected to learn."""
    return _learned_share(LATER_EPOCH_LEARNED_AT_1K, corpus_tokens)


def first_epoch_learned(corpus_tokens: int) -> float:
    """The share of the facts the first stage-2 epoch is expected to learn."""
    return _learned_share(FIRST_EPOCH_LEARNED_AT_1K, corpus_tokens)


def _learned_share(at_1k: float, corpus_tokens: int) -> float:
    shrink = LEARNED_PER_LN * math.log(max(corpus_tokens, 1) / 1000)
    return min(0.9, max(LEARNED_SHARE_MIN, at_1k - shrink))


def expected_stage2_pending(config: LiftConfig, corpus_tokens: int) -> list[float]:
    """For each stage-2 epoch a run of ``corpus_tokens`` is expected to train, the share of the
    facts still pending (trained) in it: 1.0 for the first, then fewer until ``learn_until`` is
    reached or the epochs run out. Every epoch with ``learn_until`` unset."""
    if config.learn_until is None:
        return [1.0] * config.stage2_epochs
    first, later = first_epoch_learned(corpus_tokens), later_epoch_learned(corpus_tokens)
    pending, shares = 1.0, []
    for epoch in range(config.stage2_epochs):
        shares.append(pending)
        pending *= 1 - (first if epoch == 0 else later)
        if 1 - pending >= config.learn_until - 1e-9:
            break
    return shares


def _uses_fact_pairs(c: LiftConfig) -> bool:
    # "auto" is the 'facts' generator for the models the estimate is used with (below a billion
    # parameters, ingest.default_qa_generator); bigger models write 40 questions themselves
    return c.qa_generator in ("facts", "auto") and c.qa_count != 0


def _training_tokens(corpus_tokens: int, c: LiftConfig, *, expected: bool) -> int:
    spans = segment_spans(corpus_tokens, c.segment_length, c.segment_stride)
    segments = sum(end - start for start, end in spans)
    if c.contextualized:  # window + recite instruction + the segment again
        segments += sum(
            c.context_window + RECITE_INSTRUCTION_TOKENS + end - start for start, end in spans
        )
    fact_pairs = _uses_fact_pairs(c)
    if fact_pairs:
        per_token = FACT_PAIRS_PER_TOKEN.get(c.qa_per_fact, FACT_PAIRS_PER_TOKEN_MAX)
        if c.qa_timeline_pairs:
            per_token += TIMELINE_PAIRS_PER_TOKEN
        if c.qa_composed_frames > 1:
            per_token += COMPOSED_FRAME_PAIRS_PER_TOKEN
        pairs = round(corpus_tokens * per_token)
        if c.qa_count:
            pairs = min(pairs, c.qa_count)
        sample = FACT_QA_TOKENS
    else:
        pairs, sample = (0 if c.qa_generator == "none" else c.planned_qa_count()), QA_TOKENS
    qa = pairs * sample
    if fact_pairs and c.qa_timeline_pairs:
        longer = TIMELINE_REPLY_EXTRA_TOKENS[c.qa_timeline_reply]
        qa += round(corpus_tokens * TIMELINE_PAIRS_PER_TOKEN) * longer
    qa += round(pairs * c.qa_with_context_fraction) * (sample + c.context_window)
    statements = round(corpus_tokens * STATEMENT_TOKENS_PER_TOKEN) if c.fact_statements else 0
    retention = (
        c.retention_samples * RETENTION_TOKENS
        + c.retention_self_prompts * SELF_PROMPT_TOKENS
        + c.retention_self_passages * SELF_PASSAGE_TOKENS
        + c.retention_passages * PASSAGE_TOKENS
    )
    retention *= retention_repeats(retention, segments + statements + qa, c.retention_share)
    probes = round(pairs * sample * PROBE_COST) if c.learn_until is not None and pairs else 0
    # segments, statements, retention and the probes come every epoch; QA only for the facts
    # still pending
    every_epoch = segments + statements + retention + probes
    pending = expected_stage2_pending(c, corpus_tokens) if expected else [1.0] * c.stage2_epochs
    stage2 = len(pending) * every_epoch + round(qa * sum(pending))
    return c.stage1_epochs * segments + stage2
