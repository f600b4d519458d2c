"""Relevance routing on the tiny model: the calibration (ROC AUC, threshold, what the manifest
records), the base route bit-identical to a model without a memory, the soft-scaling hook, and
every LlamaIndex entry point honouring the mode (ParametricQueryEngine, LiftLLM, LiftMemoryBlock,
HybridRouterQueryEngine with the calibrated policy).

A tiny random model knows nothing, so routing is checked on its mechanics: which side answered,
and that the base side is exactly the model without a memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
import torch
from lift_memory_cli.core.rag_arm import build_rag_arm
from lift_memory_cli.core.routing_calibration import build_routing
from llama_index.core.llms import ChatMessage
from llama_index.memory.lift import (
    CalibratedPolicy,
    ConfidencePolicy,
    HybridCalibration,
    HybridRouterQueryEngine,
    LiftLLM,
    LiftMemoryBlock,
    ParametricQueryEngine,
    RelevanceFeatures,
    RelevanceRouter,
    RouterEvidence,
    RoutingCalibration,
    roc_auc,
)
from llama_index.memory.lift.arms import ArmResult
from llama_index.memory.lift.calibrated_policy import ArmReliability
from llama_index.memory.lift.calibration import calibrate_from_features, choose_threshold
from llama_index.memory.lift.relevance import (
    corpus_vocabulary,
    entity_overlap,
    question_entities,
)
from llama_index.memory.lift.relevance_rule import RELEVANCE_RULE_VERSION
from llama_index.memory.lift.routing import forced_route, routed, soft_factor

from lift_memory import Document, LiftConfig, LiftMemory, MemoryStore, ingest
from lift_memory.answer import generate_answer
from lift_memory.gated_memory import GatedMemorySettings, attach_gated_memory
from lift_memory.prompts import prompt_ids, question_prompt
from lift_memory.qa import read_qa_jsonl
from lift_memory.tiny import tiny_config, tiny_model

TEXT = (
    "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk. "
    "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889."
)
OUT_OF_SCOPE = "What is the capital of Japan?"
TOKENS = 8


# --- calibration arithmetic
def test_roc_auc_is_the_rank_statistic_with_ties_counting_half() -> None:
    assert roc_auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert roc_auc([0.1], [0.9]) == 0.0
    assert roc_auc([0.5], [0.5]) == 0.5
    assert roc_auc([0.3, 0.6, 0.9], [0.2, 0.6]) == pytest.approx((1 + 1.5 + 2) / 6)
    assert roc_auc([], [0.1]) is None


def test_threshold_keeps_out_of_scope_out_and_leans_toward_it() -> None:
    inside, outside = [0.6, 0.7, 0.8], [0.1, 0.2, 0.3]
    threshold = choose_threshold(inside, outside, 0.0, 0.95)
    assert 0.3 < threshold < 0.45  # in the gap, a quarter of the way from the out-of-scope end
    # no threshold keeps 95 % in scope without letting one out-of-scope in: the most in scope
    mixed = choose_threshold([0.25, 0.7, 0.8], outside, 0.0, 0.95)
    assert 0.3 < mixed < 0.7
    # an allowed out-of-scope share buys in-scope coverage
    assert choose_threshold([0.25, 0.7, 0.8], [0.1, 0.2, 0.3] * 10, 0.34, 0.95) < 0.25


def test_calibration_picks_the_best_separating_score_kind() -> None:
    # only the entities separate: the similarity (alone or averaged in) points the wrong way
    inside = [RelevanceFeatures(similarity=-0.9, entity_overlap=1.0) for _ in range(4)]
    outside = [RelevanceFeatures(similarity=0.35, entity_overlap=0.0) for _ in range(8)]
    calibration = calibrate_from_features(inside, outside, max_out_of_scope_rate=0.0)
    assert calibration.score_kind == "entities" and calibration.auc == 1.0
    assert calibration.auc_by_kind["similarity"] == 0.0
    assert calibration.in_scope_rate == 1.0 and calibration.out_of_scope_rate == 0.0
    assert "gate" not in calibration.auc_by_kind  # no gate measured
    assert calibration.relevance_rule == RELEVANCE_RULE_VERSION  # the features it was set on
    assert question_entities("Who keeps Varrow Point in 1887?") == {"varrow", "point", "1887"}
    assert question_entities("What is the special magic number for restless-badger?") == {
        "restless-badger"
    }


def test_entities_are_names_the_corpus_names_too() -> None:
    # a possessive names the same thing; the pronoun "I" names nothing
    assert question_entities("What is Rupiox Drixshu's profession?") == {"rupiox", "drixshu"}
    assert question_entities("Guess my favourite season if I love snow.") == set()
    assert question_entities("What should I'm ... I've 1887?") == {"1887"}
    # the corpus counts only what it writes as a name, a number or an identifier
    names = corpus_vocabulary(["The sun is yellow. Rupiox Drixshu's trade is clockmaking."])
    assert {"rupiox", "drixshu", "the"} <= names and "sun" not in names
    assert entity_overlap("Is the Sun a star or a planet?", names) == 0.0
    assert entity_overlap("What is Rupiox Drixshu's profession?", names) == 1.0
    assert entity_overlap("When did the Sun meet Rupiox?", names) == 0.5


def test_soft_factor_ramps_around_the_threshold() -> None:
    assert soft_factor(0.2, 0.5, 0.1) == 0.0
    assert soft_factor(0.5, 0.5, 0.1) == pytest.approx(0.5)
    assert soft_factor(0.9, 0.5, 0.1) == 1.0


# --- the engine hook: a scale on every gate
def test_scaled_gate_scales_every_gate_and_one_changes_nothing() -> None:
    loaded = tiny_model("llama")
    memory = attach_gated_memory(loaded.model, GatedMemorySettings())
    with torch.no_grad():
        for layer in memory.layers.values():
            layer.gate_scale.fill_(2.0)  # open the gates: the memory changes the output
    ids = torch.tensor([prompt_ids(loaded.tokenizer, question_prompt("Who keeps it?"))])

    def forward() -> tuple[torch.Tensor, float]:
        """The logits and the first adapted layer's mean gate (later layers' gates see
        queries the scaled memory already changed)."""
        memory.reset_gate_stats()
        with torch.no_grad():
            logits = loaded.model(input_ids=ids).logits
        gates = memory.gate_by_layer()
        return logits, gates[min(gates)] if gates else 0.0

    full, full_gate = forward()
    with memory.scaled_gate(1.0):
        same, _ = forward()
    with memory.scaled_gate(0.5):
        half, half_gate = forward()
    with memory.scaled_gate(0.0):
        closed, _ = forward()
    with memory.disabled():
        base, _ = forward()
    assert torch.equal(same, full)
    assert half_gate == pytest.approx(full_gate / 2)
    assert not torch.allclose(half, full) and not torch.allclose(half, base)
    assert torch.allclose(closed, base, atol=1e-6)
    assert all(layer.gate_multiplier == 1.0 for layer in memory.layers.values())
    with pytest.raises(ValueError):
        memory.scaled_gate(1.5).__enter__()
    memory.detach()


# --- a calibrated memory on the tiny model
def calibrated_memory(tmp_path_factory, adapter: str) -> tuple[LiftMemory, MemoryStore]:
    """Memory 'notes' with its Chroma arm and the routing calibration ingest records."""
    store = MemoryStore(tmp_path_factory.mktemp("home"))
    loaded = tiny_model()
    documents = [Document("notes.txt", TEXT)]
    ingest(documents, "notes", store=store, model=loaded, config=tiny_config(adapter=adapter))
    build_rag_arm(store, "notes", documents, url=None, fresh=True)
    assert build_routing(store, "notes", loaded) is not None
    memory = LiftMemory.load("notes", store=store, model=loaded)
    assert memory.adapter.kind == adapter
    return memory, store


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    # a Gated Memory: the gate is one of the relevance features
    memory, store = calibrated_memory(tmp_path_factory, "gated_memory")
    yield memory, store
    memory.detach()


def training_question(store: MemoryStore) -> str:
    return read_qa_jsonl(store.qa_path("notes"))[0].question


def test_calibration_is_recorded_in_the_manifest(calibrated) -> None:
    memory, store = calibrated
    routing = store.read_manifest("notes").extra["routing"]
    json.dumps(routing)  # JSON as it is
    calibration = RoutingCalibration.model_validate(
        {k: v for k, v in routing.items() if k != "hybrid"}
    )
    assert calibration.in_scope_count == len(read_qa_jsonl(store.qa_path("notes")))
    assert calibration.out_of_scope_count >= 100
    assert {"retention-prompts", "bundled-requests"} <= set(calibration.out_of_scope_sources)
    assert calibration.auc is not None and calibration.auc >= 0.9
    assert 0 <= calibration.out_of_scope_rate <= calibration.max_out_of_scope_rate
    assert set(calibration.auc_by_kind) == {"similarity", "similarity+entities", "entities", "gate"}
    hybrid = HybridCalibration.model_validate(routing["hybrid"])
    assert set(hybrid.arms) == {"memory", "retrieval", "combined"}
    assert all(sum(arm.total) == hybrid.questions for arm in hybrid.arms.values())


def test_router_routes_training_questions_to_the_memory_and_others_to_the_base(
    calibrated,
) -> None:
    memory, store = calibrated
    router = RelevanceRouter.for_memory(memory, store=store)
    assert router.calibrated
    inside = router.decide(training_question(store))
    assert inside.route == "memory" and inside.gate_scale == 1.0
    assert inside.score is not None and inside.score >= inside.threshold
    outside = router.decide(OUT_OF_SCOPE)
    assert outside.route == "base" and not outside.use_memory
    assert "< threshold" in outside.reason and outside.features["similarity"] is not None
    assert router.decide(OUT_OF_SCOPE, mode="memory").route == "memory"  # forced


def test_auto_base_route_is_bit_identical_to_the_model_without_a_memory(calibrated) -> None:
    memory, store = calibrated
    engine = ParametricQueryEngine(memory, max_new_tokens=TOKENS)
    response = engine.query(OUT_OF_SCOPE)
    assert response.metadata["mode"] == "auto" and response.metadata["route"]["route"] == "base"
    bare = tiny_model()  # the same weights, no memory ever attached
    expected = generate_answer(bare, OUT_OF_SCOPE, max_new_tokens=TOKENS)
    assert response.response == expected.text
    assert response.metadata["mean_logprob"] == expected.mean_logprob  # the same token scores
    assert response.metadata["mean_gate"] is None
    ids = torch.tensor([prompt_ids(bare.tokenizer, question_prompt(OUT_OF_SCOPE))])
    decision = RelevanceRouter.for_memory(memory, store=store).decide(OUT_OF_SCOPE)
    with routed(memory.adapter, decision) as use_memory:
        off = memory.adapter.disabled() if not use_memory else contextlib.nullcontext()
        with off, torch.no_grad():
            logits = memory.loaded.model(input_ids=ids).logits
    with torch.no_grad():
        assert torch.equal(logits, bare.model(input_ids=ids).logits)


def test_parametric_engine_modes(calibrated) -> None:
    memory, store = calibrated
    question = training_question(store)
    routed_answer = ParametricQueryEngine(memory, max_new_tokens=TOKENS).query(question)
    assert routed_answer.metadata["route"]["route"] == "memory"
    assert routed_answer.response == memory.ask(question, max_new_tokens=TOKENS).text
    forced = ParametricQueryEngine(memory, mode="memory", max_new_tokens=TOKENS).query(OUT_OF_SCOPE)
    assert forced.metadata["route"]["reason"] == "mode memory (forced)"
    assert forced.response == memory.ask(OUT_OF_SCOPE, max_new_tokens=TOKENS).text
    streaming = ParametricQueryEngine(memory, max_new_tokens=TOKENS, streaming=True)
    streamed = streaming.query(OUT_OF_SCOPE)
    text = "".join(streamed.response_gen)
    assert text == memory.ask(OUT_OF_SCOPE, max_new_tokens=TOKENS, use_memory=False).text
    assert streamed.metadata["route"]["route"] == "base"
    awaited = asyncio.run(ParametricQueryEngine(memory, max_new_tokens=TOKENS).aquery(question))
    assert awaited.metadata["route"]["route"] == "memory"


def test_lift_llm_routes_each_call_on_its_text(calibrated) -> None:
    memory, store = calibrated
    llm = LiftLLM(memory, home=str(store.home), max_new_tokens=TOKENS)
    assert llm.mode == "auto"
    outside = llm.complete(OUT_OF_SCOPE)
    assert outside.additional_kwargs["route"]["route"] == "base"
    assert outside.text == memory.ask(OUT_OF_SCOPE, max_new_tokens=TOKENS, use_memory=False).text
    question = training_question(store)
    chat = llm.chat([ChatMessage(role="user", content=question)])
    assert chat.additional_kwargs["route"]["route"] == "memory"
    assert chat.additional_kwargs["mean_gate"] is not None
    pieces = list(llm.stream_complete(OUT_OF_SCOPE))
    assert pieces[-1].text == outside.text
    assert pieces[-1].additional_kwargs["route"]["route"] == "base"
    forced = LiftLLM(memory, mode="memory", max_new_tokens=TOKENS).complete(OUT_OF_SCOPE)
    assert forced.text == memory.ask(OUT_OF_SCOPE, max_new_tokens=TOKENS).text
    base = LiftLLM(memory, use_memory=False, max_new_tokens=TOKENS).complete(question)
    assert base.additional_kwargs["route"]["route"] == "base"


def test_memory_block_recalls_only_in_scope(calibrated) -> None:
    memory, store = calibrated
    block = LiftMemoryBlock(memory, store, max_new_tokens=TOKENS)
    out = asyncio.run(block.aget([ChatMessage(role="user", content=OUT_OF_SCOPE)]))
    assert out == "" and block.last_route is not None and block.last_route.route == "base"
    question = training_question(store)
    recalled = asyncio.run(block.aget([ChatMessage(role="user", content=question)]))
    assert block.last_route.route == "memory"
    assert recalled.startswith(f'Asked "{question}"')
    always = LiftMemoryBlock(memory, store, mode="memory", max_new_tokens=TOKENS)
    assert asyncio.run(always.aget([ChatMessage(role="user", content=OUT_OF_SCOPE)]))


def test_hybrid_router_carries_relevance_and_picks_among_three_arms(calibrated) -> None:
    memory, store = calibrated
    from llama_index.memory.lift.routing import memory_chroma_arm

    arm = memory_chroma_arm(memory, store)
    engine = HybridRouterQueryEngine(memory, arm, max_new_tokens=TOKENS)
    assert isinstance(engine.policy, CalibratedPolicy) and engine.policy.calibration is not None
    assert engine.policy.needs_combined
    response = engine.query(training_question(store))
    meta = response.metadata
    assert set(meta["arms"]) == {"memory", "retrieval", "combined"}
    assert meta["relevance"]["route"] == "memory"
    assert (
        "right in" in meta["reason"] and response.response == meta["arms"][meta["chosen"]]["answer"]
    )
    outside = engine.query(OUT_OF_SCOPE).metadata
    assert outside["relevance"]["route"] == "base" and outside["chosen"] == "retrieval"


def test_calibrated_policy_uses_measured_reliability() -> None:
    def result(name, confidence=0.5, similarity=None):
        import math

        return ArmResult(
            arm=name,
            answer=name,
            mean_logprob=math.log(confidence),
            confidence=confidence,
            similarity=similarity,
            sources=[{"text": "p"}] if similarity is not None else [],
        )

    memory_arm = ArmReliability.empty("confidence")
    for value, right in [(0.9, True)] * 6 + [(0.1, False)] * 6:
        memory_arm.add(value, right)
    retrieval_arm = ArmReliability.empty("similarity")
    for _ in range(12):
        retrieval_arm.add(0.5, True)
    calibration = HybridCalibration(
        questions=12, arms={"memory": memory_arm, "retrieval": retrieval_arm}
    )
    policy = CalibratedPolicy(calibration=calibration)
    assert not policy.needs_combined  # no combined arm was measured

    def evidence(memory_confidence, relevance=None):
        return RouterEvidence(
            question="q",
            memory=result("memory", memory_confidence),
            retrieval=result("retrieval", 0.5, similarity=0.5),
            agreement=0.0,
            relevance=relevance,
        )

    assert policy.select(evidence(0.1)).chosen == "retrieval"
    assert policy.select(evidence(0.95)).chosen == "retrieval"  # 6/6 vs 12/12: ties go to rag
    retrieval_arm.correct[retrieval_arm.bin_of(0.5)] = 3
    assert policy.select(evidence(0.95)).chosen == "memory"
    assert policy.select(evidence(0.95, forced_route("base"))).chosen == "retrieval"
    uncalibrated = CalibratedPolicy().select(evidence(0.95))
    assert uncalibrated.reason.startswith("uncalibrated") and not CalibratedPolicy().needs_combined
    assert ConfidencePolicy().select(evidence(0.95)).chosen == "memory"


def centred_on_a_question(
    memory: LiftMemory, store: MemoryStore
) -> tuple[str, Any, RoutingCalibration]:
    """A training question, the memory's Chroma arm and its calibration moved so that the
    threshold sits on that question's score (soft width 0.1): soft routing answers it at half
    scale."""
    from llama_index.memory.lift.routing import memory_chroma_arm, routing_calibration

    arm = memory_chroma_arm(memory, store)
    question = training_question(store)
    calibration = routing_calibration(memory.manifest)
    score = RelevanceRouter(memory, arm, calibration).decide(question).score
    return question, arm, calibration.model_copy(update={"threshold": score, "soft_width": 0.1})


def test_soft_scaling_scales_the_gate_by_relevance(calibrated, monkeypatch) -> None:
    memory, store = calibrated
    from llama_index.memory.lift import llm as llm_module

    question, arm, centred = centred_on_a_question(memory, store)
    router = RelevanceRouter(memory, arm, centred, scaling="soft")
    decision = router.decide(question)
    assert decision.route == "memory" and decision.gate_scale == pytest.approx(0.5)
    assert "soft: gate x 0.50" in decision.reason
    seen: list[float] = []
    original = llm_module.generate_reply

    def spy(*args, **kwargs):
        seen.extend(layer.gate_multiplier for layer in memory.adapter.memory.layers.values())
        return original(*args, **kwargs)

    monkeypatch.setattr(llm_module, "generate_reply", spy)
    response = LiftLLM(memory, router=router, max_new_tokens=TOKENS).complete(question)
    assert response.additional_kwargs["route"]["gate_scale"] == pytest.approx(0.5)
    assert seen and all(value == pytest.approx(0.5) for value in seen)
    assert all(layer.gate_multiplier == 1.0 for layer in memory.adapter.memory.layers.values())
    hard = RelevanceRouter(memory, arm, centred).decide(question)
    assert hard.gate_scale == 1.0  # the hard switch at the same score


# --- the same routing with the default adapter, a LoRA (no gate: similarity and entities)
@pytest.fixture(scope="module")
def calibrated_lora(tmp_path_factory):
    memory, store = calibrated_memory(tmp_path_factory, LiftConfig().adapter)  # the default
    yield memory, store
    memory.detach()


def test_a_lora_memory_is_calibrated_and_routed_without_a_gate(calibrated_lora) -> None:
    memory, store = calibrated_lora
    routing = store.read_manifest("notes").extra["routing"]
    calibration = RoutingCalibration.model_validate(
        {k: v for k, v in routing.items() if k != "hybrid"}
    )
    assert set(calibration.auc_by_kind) == {"similarity", "similarity+entities", "entities"}
    router = RelevanceRouter.for_memory(memory, store=store)
    assert router.decide(training_question(store)).route == "memory"
    response = ParametricQueryEngine(memory, max_new_tokens=TOKENS).query(OUT_OF_SCOPE)
    assert response.metadata["route"]["route"] == "base"
    expected = generate_answer(tiny_model(), OUT_OF_SCOPE, max_new_tokens=TOKENS)
    assert response.response == expected.text  # bit-identical to a model without a memory
    assert response.metadata["mean_logprob"] == expected.mean_logprob


def test_soft_scaling_scales_a_lora_by_relevance(calibrated_lora, monkeypatch) -> None:
    from llama_index.memory.lift import llm as llm_module
    from peft.tuners.lora import LoraLayer

    memory, store = calibrated_lora
    question, arm, centred = centred_on_a_question(memory, store)
    router = RelevanceRouter(memory, arm, centred, scaling="soft")
    assert router.decide(question).gate_scale == pytest.approx(0.5)
    layers = [m for m in memory.loaded.model.modules() if isinstance(m, LoraLayer)]
    trained = [layer.scaling["default"] for layer in layers]
    seen: list[float] = []
    original = llm_module.generate_reply

    def spy(*args, **kwargs):
        seen.extend(layer.scaling["default"] / t for layer, t in zip(layers, trained, strict=True))
        return original(*args, **kwargs)

    monkeypatch.setattr(llm_module, "generate_reply", spy)
    response = LiftLLM(memory, router=router, max_new_tokens=TOKENS).complete(question)
    assert response.additional_kwargs["route"]["gate_scale"] == pytest.approx(0.5)
    assert seen and all(value == pytest.approx(0.5) for value in seen)
    assert [layer.scaling["default"] for layer in layers] == trained  # restored


def test_an_uncalibrated_memory_answers_auto_with_the_memory(tmp_path) -> None:
    store = MemoryStore(tmp_path / "home")
    loaded = tiny_model()
    ingest([Document("n.txt", TEXT)], "plain", store=store, model=loaded, config=tiny_config())
    memory = LiftMemory.load("plain", store=store, model=loaded)
    try:
        response = ParametricQueryEngine(memory, max_new_tokens=4).query(OUT_OF_SCOPE)
        assert response.metadata["route"]["route"] == "memory"
        assert "no routing calibration" in response.metadata["route"]["reason"]
        assert response.response == memory.ask(OUT_OF_SCOPE, max_new_tokens=4).text
    finally:
        memory.detach()
