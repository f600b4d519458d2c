"""The parametric and hybrid router query engines, their policies, and LlamaIndex routing."""

from __future__ import annotations

import pytest
from llama_index.core.query_engine import RouterQueryEngine
from llama_index.core.selectors import EmbeddingSingleSelector
from llama_index.core.tools import QueryEngineTool
from llama_index.memory.lift import (
    AlwaysCombinePolicy,
    ArmResult,
    ChromaRetrievalArm,
    ConfidencePolicy,
    HybridRouterQueryEngine,
    LiftLLM,
    MiniLMEmbedding,
    ParametricQueryEngine,
    RetrievalFirstPolicy,
    RouterEvidence,
    answer_agreement,
)

from lift_memory import Document, LiftMemory, MemoryStore, ingest
from lift_memory.tiny import tiny_config, tiny_model

MEMORY_TEXT = "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk."
RAG_TEXT = "The ferry Silver Heron sails from Kelby to Varnholm every Tuesday morning."


@pytest.fixture(scope="module")
def embed_model() -> MiniLMEmbedding:
    return MiniLMEmbedding()


@pytest.fixture(scope="module", params=["lora", "gated_memory"])
def setup(request, tmp_path_factory, embed_model):
    """A memory of each adapter kind (the default LoRA and the paper's Gated Memory)."""
    store = MemoryStore(tmp_path_factory.mktemp("home"))
    loaded = tiny_model()
    config = tiny_config(adapter=request.param)
    ingest([Document("notes.txt", MEMORY_TEXT)], "notes", store=store, model=loaded, config=config)
    memory = LiftMemory.load("notes", store=store, model=loaded)
    arm = ChromaRetrievalArm.for_memory("notes", store=store, embed_model=embed_model)
    arm.add_documents([Document("ferry.txt", RAG_TEXT)])
    yield memory, arm
    memory.detach()


def arm(name, answer="x", confidence=0.5, similarity=None, sources=()):
    import math

    return ArmResult(
        arm=name,
        answer=answer,
        mean_logprob=math.log(confidence),
        confidence=confidence,
        similarity=similarity,
        sources=list(sources),
    )


def evidence(memory_confidence, rag_confidence, similarity, agreement=0.0):
    return RouterEvidence(
        question="q",
        memory=arm("memory", confidence=memory_confidence),
        retrieval=arm(
            "retrieval", confidence=rag_confidence, similarity=similarity, sources=[{"text": "p"}]
        ),
        agreement=agreement,
    )


def test_answer_agreement() -> None:
    assert answer_agreement("Ilse Marrick.", "It is kept by Ilse Marrick") == 1.0
    assert answer_agreement("The Silver Heron", "silver heron") == 1.0
    assert answer_agreement("Ilse Marrick", "Tomas Marrick") == pytest.approx(0.5)
    assert answer_agreement("", "anything") == 0.0


def test_policies_choose_by_their_rule() -> None:
    confident_memory = evidence(0.9, 0.4, similarity=0.3)
    relevant_passages = evidence(0.5, 0.6, similarity=0.8)
    assert ConfidencePolicy().select(confident_memory).chosen == "memory"
    assert ConfidencePolicy().select(relevant_passages).chosen == "retrieval"
    assert ConfidencePolicy(memory_bias=1.0).select(relevant_passages).chosen == "memory"
    assert RetrievalFirstPolicy(min_similarity=0.5).select(relevant_passages).chosen == "retrieval"
    choice = RetrievalFirstPolicy(min_similarity=0.5).select(confident_memory)
    assert choice.chosen == "memory" and "fallback" in choice.reason
    assert AlwaysCombinePolicy().needs_combined
    assert AlwaysCombinePolicy().select(confident_memory).chosen == "combined"


def test_parametric_engine_answers_from_the_memory(setup) -> None:
    memory, _ = setup
    engine = ParametricQueryEngine(memory, max_new_tokens=6)
    response = engine.query("Who keeps the lighthouse?")
    assert response.response == memory.ask("Who keeps the lighthouse?", max_new_tokens=6).text
    has_gate = memory.adapter.kind == "gated_memory"
    assert (response.metadata["mean_gate"] is not None) == has_gate
    assert response.metadata["memory"] == "notes"
    truncated = ParametricQueryEngine(memory, context="truncated", max_new_tokens=6)
    expected = memory.ask("Who keeps the lighthouse?", context="truncated", max_new_tokens=6)
    assert truncated.query("Who keeps the lighthouse?").response == expected.text


@pytest.mark.parametrize(
    "policy", [ConfidencePolicy(), RetrievalFirstPolicy(), AlwaysCombinePolicy()]
)
def test_router_returns_the_chosen_arm_with_both_arms_in_metadata(setup, policy) -> None:
    memory, retrieval = setup
    engine = HybridRouterQueryEngine(memory, retrieval, policy=policy, max_new_tokens=6)
    question = "Which ferry sails to Varnholm?"
    response = engine.query(question)
    meta = response.metadata
    assert meta["policy"] == type(policy).__name__
    assert response.response == meta["arms"][meta["chosen"]]["answer"]
    assert set(meta["arms"]) >= {"memory", "retrieval"}
    assert ("combined" in meta["arms"]) == policy.needs_combined
    memory_arm, rag_arm = meta["arms"]["memory"], meta["arms"]["retrieval"]
    assert memory_arm["answer"] == memory.ask(question, max_new_tokens=6).text
    has_gate = memory.adapter.kind == "gated_memory"
    assert (memory_arm["mean_gate"] is not None) == has_gate and rag_arm["mean_gate"] is None
    assert rag_arm["similarity"] > 0.5 and "Silver Heron" in rag_arm["sources"][0]["text"]
    assert 0.0 <= meta["agreement"] <= 1.0
    assert "Silver Heron" in response.source_nodes[0].node.get_content()
    if isinstance(policy, RetrievalFirstPolicy):
        assert meta["chosen"] == "retrieval"


def test_hybrid_router_inside_router_query_engine_and_as_a_tool(setup, embed_model) -> None:
    memory, retrieval = setup
    hybrid = QueryEngineTool.from_defaults(
        HybridRouterQueryEngine(memory, retrieval, max_new_tokens=6),
        name="hybrid",
        description="Ferries, harbours, boats and sailing timetables.",
    )
    parametric = QueryEngineTool.from_defaults(
        ParametricQueryEngine(memory, max_new_tokens=6),
        name="memory",
        description="Arithmetic and multiplication tables.",
    )
    router = RouterQueryEngine(
        selector=EmbeddingSingleSelector.from_defaults(embed_model=embed_model),
        query_engine_tools=[parametric, hybrid],
        llm=LiftLLM(memory, max_new_tokens=6),  # never fall back to Settings.llm (OpenAI)
    )
    response = router.query("Which ferry sails to Varnholm on Tuesdays?")
    assert response.metadata["selector_result"].ind == 1
    assert {"memory", "retrieval"} <= set(response.metadata["arms"])

    output = hybrid.call(input="Which ferry sails to Varnholm?")
    assert output.raw_output.metadata["chosen"] in ("memory", "retrieval")
    assert output.content == output.raw_output.response
