"""The issue's bars on the real default model (SmolLM2-135M-Instruct, CPU).

1. Consolidation: facts stated only in chat messages are flushed out of a ``Memory``'s
   short-term history into a ``LiftMemoryBlock``, consolidated into the weights, and recalled
   afterwards with the chat history gone (the base model does not know them).
2. Router: over questions whose answers are either only in that memory or only in a Chroma
   corpus, the hybrid router is at least as accurate as the better arm, and both arms' answers
   are in the response metadata.

One consolidation (63 optimizer steps, ~6.5 min on a busy 2-core CPU) serves both tests.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.core.memory import Memory
from llama_index.memory.lift import (
    AlwaysCombinePolicy,
    ArmResult,
    ChromaRetrievalArm,
    HybridRouterQueryEngine,
    LiftMemoryBlock,
    MiniLMEmbedding,
    RetrievalFirstPolicy,
    RouterEvidence,
)

from lift_memory import Document, LiftConfig, MemoryStore
from lift_memory.gated_memory import GatedMemorySettings

pytestmark = pytest.mark.slow

# Every-layer memory (×2 MLP, cross-entropy retention), the recipe this bar was set with: with the
# default top-12 memory this 4 + 8-epoch consolidation did not recall the dog's name (measured,
# docs/llama_index.md), so chat memories are documented to use every layer.
CONFIG = LiftConfig(
    adapter="gated_memory",
    gated_memory=GatedMemorySettings(top_layers=None, hidden_multiplier=2),
    retention_loss="ce",
    segment_length=128,
    segment_stride=64,
    context_window=96,
    learning_rate=1e-2,
    stage1_epochs=4,
    stage2_epochs=8,
    retention_samples=16,
    retention_passages=0,
)
CHAT = [
    ("user", "My sister's dog is called Pimbleton."),
    ("assistant", "Pimbleton is a lovely name for your sister's dog."),
    ("user", "My favourite tea comes from the village of Quorrin."),
    ("assistant", "Tea from Quorrin, noted. It must be a special village."),
    ("user", "Can you suggest a short name for a goldfish?"),
    ("assistant", "How about Bubbles? It is short and cheerful."),
    ("user", "Thanks, that is a good one. What should I cook tonight?"),
    ("assistant", "A simple vegetable soup is quick and warming."),
]
MEMORY_QUESTIONS = [
    ("What is my sister's dog called?", "pimbleton"),
    ("Which village does my favourite tea come from?", "quorrin"),
]
CORPUS = (
    "The ferry Silver Heron sails from Kelby to Varnholm every Tuesday morning. "
    "The harbour master of Kelby is Pell Androw, who has kept the harbour for thirty years."
)
RAG_QUESTIONS = [
    ("Which ferry sails from Kelby to Varnholm?", "silver heron"),
    ("Who is the harbour master of Kelby?", "androw"),
]


@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    from lift_memory.models import load_model

    home = None if os.environ.get("LIFT_MEMORY_MODEL_CACHE") else tmp_path_factory.mktemp("home")
    return load_model("smollm2-135m", home=home)


@pytest.fixture(scope="module")
def consolidated(real_model, tmp_path_factory):
    """A chat whose first turns were flushed into the block and consolidated."""
    store = MemoryStore(tmp_path_factory.mktemp("store"))
    block = LiftMemoryBlock.from_store("chat", store=store, model=real_model, config=CONFIG)
    memory = Memory.from_defaults(
        session_id="real",
        token_limit=160,
        chat_history_token_ratio=0.5,
        token_flush_size=50,
        memory_blocks=[block],
    )

    async def talk() -> None:
        for role, text in CHAT:
            await memory.aput(ChatMessage(role=role, content=text))

    asyncio.run(talk())
    started = time.perf_counter()
    result = block.consolidate()
    seconds = time.perf_counter() - started
    yield block, memory, store, result, seconds
    block.memory.detach()


def test_a_fact_told_in_chat_is_recalled_after_consolidation(consolidated, capsys) -> None:
    block, memory, _, result, seconds = consolidated
    flushed = result.documents[0].text
    for fact in ("Pimbleton", "Quorrin"):
        assert fact in flushed  # the fact reached the block only through Memory's flush

    base = [
        block.memory.ask(q, use_memory=False, max_new_tokens=24).text for q, _ in MEMORY_QUESTIONS
    ]
    asyncio.run(memory.areset())  # the chat history is gone
    assert asyncio.run(memory.aget_all()) == []
    recalls = [
        asyncio.run(memory.aget(input=question))[0].content for question, _ in MEMORY_QUESTIONS
    ]

    with capsys.disabled():
        print(
            f"\nconsolidation: {seconds:.0f}s, {result.train.steps} steps, "
            f"{len(result.qa_pairs)} QA pairs, final loss {result.train.final_loss:.3f}"
        )
        for (question, _), before, after in zip(MEMORY_QUESTIONS, base, recalls, strict=True):
            print(f"  {question}\n    base: {before!r}\n    block: {after.strip()!r}")
    for (_, fact), before in zip(MEMORY_QUESTIONS, base, strict=True):
        assert fact not in before.lower()
    assert "pimbleton" in recalls[0].lower()  # the bar: a fact told in chat is recalled


def _evidence(arms: dict, question: str, agreement: float) -> RouterEvidence:
    return RouterEvidence(
        question=question,
        memory=ArmResult(**arms["memory"]),
        retrieval=ArmResult(**arms["retrieval"]),
        combined=ArmResult(**arms["combined"]) if "combined" in arms else None,
        agreement=agreement,
    )


def test_router_is_at_least_as_accurate_as_the_better_arm(consolidated, capsys) -> None:
    block, _, store, _, _ = consolidated
    retrieval = ChromaRetrievalArm.for_memory("chat", store=store, embed_model=MiniLMEmbedding())
    retrieval.add_documents([Document("harbour.txt", CORPUS)])
    engine = HybridRouterQueryEngine(block.memory, retrieval, run_combined=True, max_new_tokens=24)
    questions = MEMORY_QUESTIONS + RAG_QUESTIONS
    started = time.perf_counter()
    responses = [engine.query(question) for question, _ in questions]
    seconds = time.perf_counter() - started

    def correct(text: str, fact: str) -> bool:
        return fact in text.lower()

    hits = {"router": [], "memory": [], "retrieval": [], "combined": []}
    policies = {"retrieval-first": RetrievalFirstPolicy(), "always-combine": AlwaysCombinePolicy()}
    hits.update({name: [] for name in policies})
    for (question, fact), response in zip(questions, responses, strict=True):
        arms = response.metadata["arms"]
        assert {"memory", "retrieval"} <= set(arms)
        hits["router"].append(correct(response.response, fact))
        for arm in ("memory", "retrieval", "combined"):
            hits[arm].append(correct(arms[arm]["answer"], fact))
        evidence = _evidence(arms, question, response.metadata["agreement"])
        for name, policy in policies.items():
            hits[name].append(correct(arms[policy.select(evidence).chosen]["answer"], fact))
    accuracy = {name: sum(h) / len(h) for name, h in hits.items()}

    with capsys.disabled():
        print(f"\nrouter over {len(questions)} questions: {seconds:.0f}s")
        for (question, _), response in zip(questions, responses, strict=True):
            meta, arms = response.metadata, response.metadata["arms"]
            print(f"  {question} -> {meta['chosen']}: {response.response!r} ({meta['reason']})")
            for arm in ("memory", "retrieval", "combined"):
                a = arms[arm]
                print(
                    f"    {arm:9} {a['answer']!r} conf {a['confidence']:.3f} gate "
                    f"{a['mean_gate'] if a['mean_gate'] is None else round(a['mean_gate'], 3)} "
                    f"sim {a['similarity'] if a['similarity'] is None else round(a['similarity'], 3)}"
                )
        print("  accuracy: " + ", ".join(f"{k} {v:.2f}" for k, v in accuracy.items()))
    assert accuracy["router"] >= max(accuracy["memory"], accuracy["retrieval"])
    assert accuracy["retrieval"] > 0  # the RAG arm works on its own questions
