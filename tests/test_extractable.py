"""Training until facts are extractable (lift_memory/extractable.py, train.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from lift_memory.adapters import create_adapter
from lift_memory.config import LiftConfig
from lift_memory.extractable import LearningTarget, learned_samples, reply_min_probabilities
from lift_memory.prompts import chat_sample
from lift_memory.segments import Document, segment_samples, tokenize_documents
from lift_memory.train import LiftTrainer, Stage, TrainProgress

TEXT = "Ilse keeps the lighthouse at Varrow Point; the lamp is lit at dusk. " * 2
QA = [("Who keeps the lighthouse?", "Ilse."), ("Where is the lighthouse?", "Varrow Point.")]


def config(**overrides) -> LiftConfig:
    values = dict(
        segment_length=32,
        segment_stride=16,
        max_batch_tokens=128,
        stage1_epochs=0,
        stage2_epochs=4,
        warmup_steps=1,
        learning_rate=1e-2,
        checkpoint_every_steps=1000,
        seed=3,
    )
    values.update(overrides)
    return LiftConfig(**values)


def stage(loaded, threshold: float, share: float = 1.0, patience: int | None = None) -> Stage:
    tokenized = tokenize_documents(loaded.tokenizer, [Document("doc", TEXT)])
    samples = segment_samples(tokenized, 32, 16)
    first = len(samples)
    samples += [chat_sample(loaded.tokenizer, q, a, "qa") for q, a in QA]
    facts = {first: "keeper", first + 1: "place"}
    target = LearningTarget(
        probes=facts, members=facts, threshold=threshold, target_share=share, patience=patience
    )
    return Stage("segments+qa", samples, 4, target)


def trained_looking_adapter(loaded):
    """A LoRA in the top 2 of 4 layers, moved off its zero start (a trained-looking update)."""
    adapter = create_adapter(loaded, LiftConfig(lora={"top_layers": 2, "rank": 4}))
    with torch.no_grad():
        for parameter in adapter.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    return adapter


def test_reply_probabilities_match_a_plain_forward(tiny) -> None:
    loaded = tiny("llama")
    sample = chat_sample(loaded.tokenizer, "Who keeps the lighthouse?", "Ilse.", "qa")
    ids = torch.tensor([sample.input_ids])
    with torch.no_grad():
        probs = torch.softmax(loaded.model(ids).logits[0, :-1].float(), dim=-1)
    expected = min(
        probs[i - 1, token].item()
        for i, (token, label) in enumerate(zip(sample.input_ids, sample.labels, strict=True))
        if label != -100
    )
    short = chat_sample(loaded.tokenizer, "Where?", "Varrow.", "qa")
    measured = reply_min_probabilities(loaded, [sample, short], max_batch_tokens=16)
    assert measured[0] == pytest.approx(expected, rel=1e-4)
    assert 0.0 < measured[1] < 1.0


def test_a_stage_ends_once_its_facts_are_learned(tiny) -> None:
    loaded = tiny("llama")
    cfg = config()
    target_stage = stage(loaded, threshold=1e-9)  # everything counts as learned at once
    seen: list[TrainProgress] = []
    trainer = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg, on_progress=seen.append)
    result = trainer.train([target_stage])
    assert result.epochs_run == {"segments+qa": 1}
    assert (result.facts_learned, result.facts_total) == (2, 2)
    assert {p.epoch for p in seen} == {1}
    assert result.stopped_by == {"segments+qa": "target"}


def test_unlearned_facts_keep_training_every_epoch(tiny) -> None:
    loaded = tiny("llama")
    cfg = config()
    trainer = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg)
    result = trainer.train([stage(loaded, threshold=0.999)])  # a random model learns nothing
    assert result.epochs_run == {"segments+qa": 4}
    assert result.facts_learned == 0 and result.facts_total == 2
    assert result.stopped_by == {"segments+qa": "epochs"}


def test_a_stage_ends_on_a_plateau_of_facts_learned(tiny) -> None:
    loaded = tiny("llama")
    cfg = config()
    trainer = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg)
    # nothing is ever learned: the first epoch sets the best, two more without a gain end it
    result = trainer.train([stage(loaded, threshold=0.999, patience=2)])
    assert result.epochs_run == {"segments+qa": 3}
    assert trainer.learning_log["stop:0"] == 3
    assert result.facts_learned == 0
    assert result.stopped_by == {"segments+qa": "plateau"}


def test_a_plateau_is_two_epochs_without_a_gain_of_one_percent_of_the_facts() -> None:
    facts = {i: f"fact {i}" for i in range(778)}
    target = LearningTarget(probes=facts, members=facts, patience=2)
    # the quality corpus's learning curve (docs/benchmarks.md): +3 then -11 after epoch 5
    curve = [279, 443, 530, 590, 667, 670, 656, 689, 686, 662, 708]
    stalled = [target.plateaued(curve[:epochs]) for epochs in range(1, len(curve) + 1)]
    assert stalled.index(True) + 1 == 7
    assert not LearningTarget(probes=facts, members=facts).plateaued(curve)  # no patience


def test_learned_facts_rest_in_later_epochs(tiny) -> None:
    loaded = tiny("llama")
    cfg = config()
    target_stage = stage(loaded, threshold=1e-9, share=1.0)
    # the target share can never be met with a third, unknowable fact: training goes on, but
    # the two learned facts' samples rest, so later epochs see segments only
    target = target_stage.target
    assert target is not None
    impossible = LearningTarget(
        probes={**target.probes, 0: "segment-as-fact"},
        members=target.members,
        threshold=1.0 - 1e-12,
        target_share=1.0,
    )
    trainer = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg)
    trainer.train([Stage("segments+qa", target_stage.samples, 3, impossible)])
    assert trainer.learning_log["0:1"] == []  # nothing passes a threshold of ~1
    learned = learned_samples(loaded, target_stage.samples, target)
    assert learned == set(target.probes)


def test_the_learning_curve_records_recall_against_cost_each_epoch(tiny) -> None:
    loaded = tiny("llama")
    cfg = config()
    trainer = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg)
    result = trainer.train([stage(loaded, threshold=0.999)])  # nothing learned: every epoch
    curve = result.learning_curve
    assert [point.epoch for point in curve] == [1, 2, 3, 4]
    assert all(point.stage == "segments+qa" for point in curve)
    assert all((point.facts_learned, point.facts_total) == (0, 2) for point in curve)
    tokens = [point.tokens for point in curve]
    seconds = [point.seconds for point in curve]
    assert tokens == sorted(tokens) and tokens[0] > 0 and tokens[-1] == result.tokens
    assert seconds == sorted(seconds) and 0 < seconds[-1] <= result.seconds


def test_the_corpus_as_plain_text_rests_after_its_epochs(tiny) -> None:
    loaded = tiny("llama")
    cfg = config()
    unlearned = stage(loaded, threshold=0.999)  # nothing learned: every QA sample every epoch
    plain = len(unlearned.samples) - len(QA)  # the segments come first, as in ingest
    qa_tokens = sum(len(s.input_ids) for s in unlearned.samples[plain:])

    def epoch_tokens(plain_epochs: int | None) -> list[int]:
        fresh = tiny("llama")
        trainer = LiftTrainer(fresh, create_adapter(fresh, cfg), cfg)
        timed = replace(unlearned, plain=plain, plain_epochs=plain_epochs)
        tokens = [point.tokens for point in trainer.train([timed]).learning_curve]
        return [b - a for a, b in zip([0, *tokens], tokens, strict=False)]

    every = epoch_tokens(None)
    once = epoch_tokens(1)
    assert once[0] == every[0] > qa_tokens
    assert once[1:] == [qa_tokens] * 3  # later epochs: the questions alone
    assert epoch_tokens(0) == [qa_tokens] * 4


def test_resume_replays_the_learning_log(tiny, tmp_path: Path) -> None:
    cfg = config(checkpoint_every_steps=1)
    loaded = tiny("llama")
    trainer = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg, tmp_path / "ckpt")
    full = trainer.train([stage(loaded, threshold=1e-9)])
    fresh = tiny("llama")
    resumed = LiftTrainer(fresh, create_adapter(fresh, cfg), cfg, tmp_path / "ckpt")
    result = resumed.train([stage(fresh, threshold=1e-9)], resume=True)
    assert result.resumed_from_step == full.steps
    assert resumed.learning_log == trainer.learning_log
    assert result.facts_learned == 2
    assert result.learning_curve == full.learning_curve  # the cost as the first run spent it


def test_only_the_answer_span_must_pass(tiny) -> None:
    loaded = tiny("llama")
    sample = chat_sample(loaded.tokenizer, "Who keeps the lighthouse?", "It is Ilse.", "qa")
    whole = reply_min_probabilities(loaded, [sample])[0]
    span = reply_min_probabilities(loaded, [sample], spans=[(6, 10)])[0]  # " Ilse" (bytes)
    assert span >= whole  # fewer tokens must pass: the minimum can only rise


def test_a_span_probe_runs_up_to_the_span_and_matches_the_whole_sample(tiny) -> None:
    from lift_memory.frozen_prefix import FrozenPrefixCache

    loaded = tiny("llama", num_layers=4)
    adapter = trained_looking_adapter(loaded)
    replies = ["It is Ilse, who came in spring.", "Varrow Point, past the dunes.", "At dusk."]
    questions = ["Who keeps the lighthouse?", "Where is it?", "When is the lamp lit?"]
    samples = [
        chat_sample(loaded.tokenizer, q, r, "qa") for q, r in zip(questions, replies, strict=True)
    ]
    spans = [(6, 10), (0, 6), None]  # " Ilse", "Varrow" (a byte tokenizer), the whole reply
    expected = []
    for sample, span in zip(samples, spans, strict=True):
        ids = torch.tensor([sample.input_ids])
        with torch.no_grad():  # the whole sample, every position
            probs = torch.softmax(loaded.model(ids).logits[0, :-1].float(), dim=-1)
        labelled = [i for i, label in enumerate(sample.labels) if label != -100]
        judged = labelled[span[0] : span[1]] if span else labelled
        expected.append(min(probs[i - 1, sample.input_ids[i]].item() for i in judged))
    cache = FrozenPrefixCache(loaded.model, adapter.first_adapted_layer())
    measured = reply_min_probabilities(loaded, samples, spans=spans, frozen_cache=cache)
    assert measured == pytest.approx(expected, rel=1e-4)
    # the cache keeps the whole training samples, which training replays
    assert all(sample in cache for sample in samples)


def test_ingest_locates_each_answer_among_its_reply_tokens(tiny) -> None:
    from lift_memory.ingest import answer_token_span

    loaded = tiny("llama")  # a byte tokenizer: one token per byte
    assert answer_token_span(loaded.tokenizer, "It is Ilse.", "Ilse") == (5, 10)
    assert answer_token_span(loaded.tokenizer, "It is Ilse.", "Tomas") is None


def test_a_pair_that_names_its_probed_part_is_probed_there(tiny) -> None:
    from lift_memory.ingest import qa_answer_spans
    from lift_memory.qa.base import QAPair

    loaded = tiny("llama")  # a byte tokenizer: one token per byte
    reply = "1266 is before 1300. First: the Guild."
    pairs = [
        QAPair("Which first?", "the Guild", "E", "facts", reply=reply),
        QAPair("Which first?", "the Guild", "E", "facts", reply=reply, probed=reply),
    ]
    by_fact = [(chat_sample(loaded.tokenizer, p.question, reply, "qa"), "f", True) for p in pairs]
    spans = qa_answer_spans(loaded, pairs, by_fact, config(probe_whole_replies=True))
    assert spans == {0: (27, 37), 1: (0, len(reply))}  # the space leads the answer
    # off: every pair is probed on its answer
    off = config(probe_whole_replies=False)
    assert qa_answer_spans(loaded, pairs, by_fact, off) == {0: (27, 37), 1: (27, 37)}


def test_answer_first_replies_lead_with_the_answer(tiny) -> None:
    from lift_memory.ingest import answer_token_span, reply_of
    from lift_memory.qa.base import QAPair

    built = QAPair(
        "In what year was the lighthouse built?",
        "1847",
        "The lighthouse was built in 1847.",
        "facts",
        reply="The lighthouse was built in 1847.",
    )
    keeper = QAPair("Who keeps the lighthouse?", "Ilse", TEXT, "facts", reply="Ilse keeps it.")
    first = config(qa_answer_style="answer_first")
    assert reply_of(built, first) == "1847. The lighthouse was built in 1847."
    assert reply_of(keeper, first) == "Ilse keeps it."  # already leads with the answer
    assert reply_of(built, config()) == "The lighthouse was built in 1847."
    assert reply_of(built, config(qa_answer_style="short")) == "1847"
    # a reply worked out in steps keeps its steps: the answer alone would skip them
    chained = QAPair(
        "In which year was the town where Ilse was born founded?",
        "1228",
        TEXT,
        "facts",
        reply="Ilse was born in Pethholm; Pethholm was founded in 1228.",
        probed="Pethholm; Pethholm was founded in 1228",
    )
    assert reply_of(chained, config(qa_answer_style="short")) == chained.reply
    # the extractability probe then measures the leading answer, not the restated one
    loaded = tiny("llama")  # a byte tokenizer: one token per byte
    assert answer_token_span(loaded.tokenizer, reply_of(built, first), "1847") == (0, 4)


def test_probes_replaying_the_frozen_layers_and_sharing_the_header_match_a_plain_forward(
    tiny,
) -> None:
    from lift_memory.frozen_prefix import FrozenPrefixCache

    loaded = tiny("llama", num_layers=4)
    adapter = trained_looking_adapter(loaded)
    samples = [
        chat_sample(loaded.tokenizer, f"About the lighthouse: {q}", a, "qa")
        for q, a in [*QA, ("When is the lamp lit?", "At dusk.")]
    ]
    plain = reply_min_probabilities(loaded, samples, max_batch_tokens=4096)
    cache = FrozenPrefixCache(loaded.model, adapter.first_adapted_layer())
    fast = reply_min_probabilities(loaded, samples, max_batch_tokens=4096, frozen_cache=cache)
    assert len(cache) == len(samples)  # filled on first sight
    assert fast == pytest.approx(plain, rel=1e-4)
    assert all(0.0 < p < 1.0 for p in plain)


def test_the_config_gives_the_stage_its_patience(tiny) -> None:
    from lift_memory.ingest import learning_target

    loaded = tiny("llama")
    sample = chat_sample(loaded.tokenizer, *QA[0], "qa")
    by_fact = [(sample, "keeper", True)]
    assert learning_target(5, by_fact, config(learn_until=0.9)).patience is None
    target = learning_target(5, by_fact, config(learn_until=0.9, learn_patience=2))
    assert target is not None and target.patience == 2 and target.probes == {5: "keeper"}


def test_learned_facts_are_reprobed_every_few_epochs_only(tiny, monkeypatch) -> None:
    import lift_memory.train as train_module

    loaded = tiny("llama")
    unlearned = stage(loaded, threshold=0.999)
    assert unlearned.target is not None
    keeper = next(i for i, fact in unlearned.target.probes.items() if fact == "keeper")
    probed: list[set[str] | None] = []

    def only_the_keeper(loaded, samples, target, frozen_cache=None, facts=None, **_):
        probed.append(facts)  # which facts each epoch's probe measured (None: every fact)
        return {keeper} if facts is None or "keeper" in facts else set()

    monkeypatch.setattr(train_module, "learned_samples", only_the_keeper)

    def train(every: int) -> list[int]:
        probed.clear()
        cfg = config(reprobe_learned_every=every)
        fresh = tiny("llama")
        trainer = LiftTrainer(fresh, create_adapter(fresh, cfg), cfg)
        result = trainer.train([unlearned])
        assert all(point.probe_seconds > 0 for point in result.learning_curve)
        return [point.facts_learned for point in result.learning_curve]

    assert train(1) == [1, 1, 1, 1] and probed == [None] * 4
    # epochs 2 and 4 probe every fact; epoch 3 only the pending one, the keeper keeps resting
    assert train(2) == [1, 1, 1, 1] and probed == [None, None, {"place"}, None]
    with pytest.raises(ValueError):
        config(reprobe_learned_every=0)


def test_a_stage_ends_only_on_facts_measured_in_that_epoch(tiny, monkeypatch) -> None:
    import lift_memory.train as train_module

    loaded = tiny("llama")
    unlearned = stage(loaded, threshold=0.999)
    assert unlearned.target is not None
    index = {fact: i for i, fact in unlearned.target.probes.items()}
    probed: list[set[str] | None] = []

    def train(keeper_forgotten_at: int | None) -> tuple[int, list[int]]:
        # the keeper is learned from the start; the place from the third probe on
        def learned(loaded, samples, target, frozen_cache=None, facts=None, **_):
            probed.append(facts)
            asked = facts if facts is not None else {"keeper", "place"}
            known = {"keeper"} if len(probed) != keeper_forgotten_at else set()
            if len(probed) >= 3:
                known.add("place")
            return {index[fact] for fact in asked & known}

        monkeypatch.setattr(train_module, "learned_samples", learned)
        probed.clear()
        cfg = config(reprobe_learned_every=2)
        fresh = tiny("llama")
        trainer = LiftTrainer(fresh, create_adapter(fresh, cfg), cfg)
        result = trainer.train([replace(unlearned, target=replace(unlearned.target))])
        return result.epochs_run["segments+qa"], [p.facts_learned for p in result.learning_curve]

    # epoch 3 probes the pending place; the target met, the resting keeper is probed too
    assert train(None) == (3, [1, 1, 2])
    assert probed == [None, None, {"place"}, {"keeper"}]
    # forgotten by then: the stage goes on, and the keeper trains again
    assert train(keeper_forgotten_at=4) == (4, [1, 1, 1, 2])
    assert probed == [None, None, {"place"}, {"keeper"}, None]


def test_a_pending_facts_passing_phrasing_can_rest_alone(tiny, monkeypatch) -> None:
    import lift_memory.train as train_module

    loaded = tiny("llama")
    tokenized = tokenize_documents(loaded.tokenizer, [Document("doc", TEXT)])
    samples = segment_samples(tokenized, 32, 16)
    first = len(samples)
    asked = [*QA, ("Who is the keeper of the lighthouse?", "Ilse.")]
    samples += [chat_sample(loaded.tokenizer, q, a, "qa") for q, a in asked]
    facts = {first: "keeper", first + 1: "place", first + 2: "keeper"}
    target = LearningTarget(probes=facts, members=facts, threshold=0.5, target_share=1.0)
    probed: list[set[str] | None] = []

    def one_phrasing_passes(loaded, samples, target, frozen_cache=None, facts=None, **_):
        probed.append(facts)
        return {first} if facts is None or "keeper" in facts else set()

    monkeypatch.setattr(train_module, "learned_samples", one_phrasing_passes)

    def train(rest: bool) -> tuple[LiftTrainer, list[int]]:
        probed.clear()
        cfg = config(rest_extractable_phrasings=rest, reprobe_learned_every=2)
        fresh = tiny("llama")
        trainer = LiftTrainer(fresh, create_adapter(fresh, cfg), cfg)
        result = trainer.train([Stage("segments+qa", samples, 4, target)])
        assert [p.facts_learned for p in result.learning_curve] == [0, 0, 0, 0]
        tokens = [p.tokens for p in result.learning_curve]
        return trainer, [b - a for a, b in zip([0, *tokens], tokens, strict=False)]

    resting, rested_tokens = train(rest=True)
    # the keeper's first phrasing passes: it rests alone, its other phrasing and the place train
    assert resting.learning_log["0:1"] == [first]
    # the keeper is still pending, so the third epoch's probe (between full probes) asks it again
    assert probed == [None, None, {"keeper", "place"}, None]
    trained, all_tokens = train(rest=False)
    assert trained.learning_log["0:1"] == []
    # the first epoch trains everything either way; later ones one phrasing fewer
    assert rested_tokens[0] == all_tokens[0]
    assert all(r < a for r, a in zip(rested_tokens[1:], all_tokens[1:], strict=True))


def test_facts_that_stay_pending_train_again_in_the_next_epoch(tiny, monkeypatch) -> None:
    import lift_memory.train as train_module

    loaded = tiny("llama")
    unlearned = stage(loaded, threshold=0.999)
    assert unlearned.target is not None
    index = {fact: i for i, fact in unlearned.target.probes.items()}
    place_tokens = len(unlearned.samples[index["place"]].input_ids)

    def only_the_keeper(loaded, samples, target, frozen_cache=None, facts=None, **_):
        return {index["keeper"]} if facts is None or "keeper" in facts else set()

    monkeypatch.setattr(train_module, "learned_samples", only_the_keeper)

    def train(repeats: int, after: int = 2) -> tuple[LiftTrainer, list[int]]:
        cfg = config(pending_repeats=repeats, pending_repeat_after=after, reprobe_learned_every=1)
        fresh = tiny("llama")
        trainer = LiftTrainer(fresh, create_adapter(fresh, cfg), cfg)
        tokens = [p.tokens for p in trainer.train([unlearned]).learning_curve]
        return trainer, [b - a for a, b in zip([0, *tokens], tokens, strict=False)]

    _, once = train(repeats=0)
    twice, repeated = train(repeats=1)
    # the place fails its first two probes: from the third epoch on its question trains twice
    assert twice.learning_log["repeat:0:1"] == []
    assert twice.learning_log["repeat:0:2"] == [index["place"]]
    assert repeated[:2] == once[:2]
    assert repeated[2:] == [t + place_tokens for t in once[2:]]
    # after one failed probe, three extra times from the second epoch on
    _, sooner = train(repeats=3, after=1)
    assert sooner[1:] == [t + 3 * place_tokens for t in once[1:]]
    assert "repeat:0:1" not in train(repeats=0)[0].learning_log


def test_a_resumed_run_repeats_what_the_interrupted_one_did(tiny, tmp_path: Path) -> None:
    cfg = config(checkpoint_every_steps=1, pending_repeats=1, pending_repeat_after=1)
    loaded = tiny("llama")
    whole = LiftTrainer(loaded, create_adapter(loaded, cfg), cfg)
    full = whole.train([stage(loaded, threshold=0.999)])  # nothing learned: repeats each epoch
    assert whole.learning_log["repeat:0:1"]
    # stopped inside the last epoch, which trains the repeated questions
    stop_at = full.steps - 1
    interrupted_model = tiny("llama")
    interrupted = LiftTrainer(
        interrupted_model, create_adapter(interrupted_model, cfg), cfg, tmp_path / "ckpt"
    )

    def stop(progress: TrainProgress) -> None:
        if progress.step == stop_at:
            interrupted.stop_requested = True

    interrupted.on_progress = stop
    with pytest.raises(KeyboardInterrupt):
        interrupted.train([stage(interrupted_model, threshold=0.999)])
    fresh = tiny("llama")
    adapter = create_adapter(fresh, cfg)
    resumed = LiftTrainer(fresh, adapter, cfg, tmp_path / "ckpt")
    result = resumed.train([stage(fresh, threshold=0.999)], resume=True)
    assert result.resumed_from_step == stop_at

    def decisions(log: dict) -> dict:  # what was learned and repeated, not the seconds
        return {k: v for k, v in log.items() if not k.startswith(("cost:", "probe_s:"))}

    assert decisions(resumed.learning_log) == decisions(whole.learning_log)
    assert result.tokens == full.tokens
    expected = whole.adapter.tensors()
    for key, value in adapter.tensors().items():
        assert torch.allclose(value, expected[key], atol=1e-6), key


def test_a_facts_other_questions_are_probed_only_once_its_first_passes(tiny, monkeypatch) -> None:
    import lift_memory.extractable as extractable

    loaded = tiny("llama")
    asked = [
        ("Who keeps the lighthouse?", "Ilse.", "keeper"),
        ("Where is the lighthouse?", "Varrow Point.", "place"),
        ("When is the lamp lit?", "At dusk.", "lamp"),
        ("The lighthouse is kept by whom?", "Ilse.", "keeper"),
        ("The lighthouse stands where?", "Varrow Point.", "place"),
        ("The lamp is lit when?", "At dusk.", "lamp"),
    ]
    samples = [chat_sample(loaded.tokenizer, q, a, "qa") for q, a, _ in asked]
    facts = {i: fact for i, (_, _, fact) in enumerate(asked)}
    every = reply_min_probabilities(loaded, samples)
    probed: list[int] = []
    whole = extractable.reply_min_probabilities

    def counted(loaded, chosen, *args, **kwargs):
        probed.append(len(chosen))
        return whole(loaded, chosen, *args, **kwargs)

    monkeypatch.setattr(extractable, "reply_min_probabilities", counted)
    # thresholds between the probabilities: none, some and every fact learned
    for threshold in sorted({0.0, *every, 1.0}):
        target = LearningTarget(probes=facts, members=facts, threshold=threshold)
        probed.clear()
        all_asked = learned_samples(loaded, samples, target)
        assert probed == [6]
        probed.clear()
        first_asked = learned_samples(loaded, samples, target, every_question=False)
        assert target.learned_facts(first_asked) == target.learned_facts(all_asked)
        assert first_asked <= all_asked
        # three first questions, then the others of the facts whose first one passed
        passed_first = sum(every[i] >= threshold for i in range(3))
        assert probed == [3, passed_first] if passed_first else probed == [3]
