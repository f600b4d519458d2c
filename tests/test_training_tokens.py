"""The engine's training-token estimates: the maximum, and what learn_until is expected to train."""

from __future__ import annotations

import pytest

from lift_memory.config import LiftConfig
from lift_memory.training_tokens import (
    FACT_QA_TOKENS,
    estimate_training_tokens,
    expected_stage2_pending,
    expected_training_tokens,
    first_epoch_learned,
    later_epoch_learned,
)


def test_auto_counts_the_fact_pairs_the_small_default_model_gets() -> None:
    # "auto" is the 'facts' generator below a billion parameters (ingest.default_qa_generator):
    # ~0.22 pairs per corpus token at 4 per fact, not a fixed 40
    auto = estimate_training_tokens(1000, {"learn_until": None, "stage2_epochs": 1})
    facts = estimate_training_tokens(
        1000, {"learn_until": None, "stage2_epochs": 1, "qa_generator": "facts"}
    )
    forty = estimate_training_tokens(
        1000, {"learn_until": None, "stage2_epochs": 1, "qa_generator": "cloze"}
    )
    assert auto == facts
    assert auto - forty > 150 * FACT_QA_TOKENS - 40 * 75


def test_without_learn_until_every_epoch_trains_every_fact() -> None:
    config = {"learn_until": None, "stage2_epochs": 7}
    assert expected_stage2_pending(LiftConfig.model_validate(config), 3000) == [1.0] * 7
    assert expected_training_tokens(3000, config) == estimate_training_tokens(3000, config)


def test_learn_until_stops_once_the_target_share_is_expected_learned() -> None:
    pending = expected_stage2_pending(LiftConfig(), 1000)  # learn_until 0.9, at most 12 epochs
    assert pending[0] == 1.0
    assert all(later < earlier for earlier, later in zip(pending, pending[1:], strict=False))
    assert 4 <= len(pending) <= 6  # measured: 4-6 epochs on the 1k-token text
    stricter = expected_stage2_pending(LiftConfig(learn_until=0.99), 1000)
    assert len(stricter) > len(pending)
    capped = expected_stage2_pending(LiftConfig(stage2_epochs=2), 1000)
    assert capped == pending[:2]


def test_bigger_corpora_are_expected_to_need_more_epochs() -> None:
    assert later_epoch_learned(5764) < later_epoch_learned(1000)
    assert first_epoch_learned(5764) < first_epoch_learned(1000)
    quality = expected_stage2_pending(LiftConfig(), 5764)
    demo_text = expected_stage2_pending(LiftConfig(), 1000)
    assert len(quality) > len(demo_text)
    assert 5 <= len(quality) <= 8  # measured: 6 and 7 epochs (docs/benchmarks.md)
    assert later_epoch_learned(10**7) > 0.0  # a floor: every epoch still learns something


@pytest.mark.parametrize("corpus_tokens", [500, 1000, 6000])
def test_the_expected_run_is_a_fraction_of_the_maximum(corpus_tokens: int) -> None:
    expected = expected_training_tokens(corpus_tokens, {})
    most = estimate_training_tokens(corpus_tokens, {})
    assert 0 < expected < 0.6 * most


def test_no_qa_trains_no_pairs_and_no_probes() -> None:
    none = estimate_training_tokens(1000, {"qa_generator": "none", "fact_statements": False})
    zero = estimate_training_tokens(1000, {"qa_count": 0, "fact_statements": False})
    segments_only = estimate_training_tokens(
        1000,
        {
            "qa_generator": "none",
            "fact_statements": False,
            "retention_samples": 0,
            "retention_passages": 0,
        },
    )
    assert none == zero
    assert segments_only < none


def test_timeline_pairs_add_their_pairs() -> None:
    plain = estimate_training_tokens(5000, LiftConfig(qa_timeline_pairs=False))
    assert estimate_training_tokens(5000, LiftConfig()) > plain  # on by default
    pick = estimate_training_tokens(5000, LiftConfig(qa_timeline_reply="pick"))
    longer = estimate_training_tokens(5000, LiftConfig(qa_timeline_reply="years-first"))
    assert longer > pick
    compared = estimate_training_tokens(5000, LiftConfig(qa_timeline_reply="years-compared"))
    assert compared > longer
    assert estimate_training_tokens(5000, LiftConfig()) == compared  # the default


def test_composed_frames_add_their_pairs() -> None:
    one = estimate_training_tokens(5000, LiftConfig(qa_composed_frames=1))
    assert estimate_training_tokens(5000, LiftConfig()) > one  # two by default


def test_a_retention_share_adds_its_repeats_more_on_a_larger_corpus() -> None:
    def added(corpus_tokens: int) -> float:
        plain = expected_training_tokens(corpus_tokens, LiftConfig())
        shared = expected_training_tokens(corpus_tokens, LiftConfig(retention_share=0.1))
        return shared / plain

    # one pass of the retention text is a larger share of a small corpus's stage 2
    assert 1.0 <= added(1000) < added(6000) < 1.2


def test_self_written_retention_chats_are_counted() -> None:
    plain = estimate_training_tokens(1000, LiftConfig())
    assert estimate_training_tokens(1000, LiftConfig(retention_self_prompts=64)) > plain


def test_self_written_retention_passages_are_counted() -> None:
    plain = estimate_training_tokens(1000, LiftConfig(retention_self_passages=0))
    assert estimate_training_tokens(1000, LiftConfig()) > plain  # 24 passages by default
