"""LiftLLM: the memory's base model as a LlamaIndex LLM (tiny model)."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.memory.lift import ChromaRetrievalArm, LiftLLM, MiniLMEmbedding

from lift_memory import Document, LiftMemory, MemoryStore, ingest
from lift_memory.tiny import tiny_config, tiny_model

CONFIG = tiny_config(adapter="gated_memory")  # the gate statistics are reported
TEXT = "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk."


@pytest.fixture(scope="module")
def memory(tmp_path_factory) -> LiftMemory:
    store = MemoryStore(tmp_path_factory.mktemp("home"))
    loaded = tiny_model()
    ingest([Document("notes.txt", TEXT)], "notes", store=store, model=loaded, config=CONFIG)
    memory = LiftMemory.load("notes", store=store, model=loaded)
    yield memory
    memory.detach()


def test_chat_uses_the_models_chat_template(memory) -> None:
    llm = LiftLLM(memory, max_new_tokens=6)
    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Who keeps the lighthouse?"),
    ]
    expected = memory.loaded.tokenizer.apply_chat_template(
        [{"role": m.role.value, "content": m.content} for m in messages],
        add_generation_prompt=True,
        tokenize=True,
    )
    expected = expected["input_ids"] if hasattr(expected, "input_ids") else expected
    assert llm.chat_ids(messages) == list(expected)
    response = llm.chat(messages)
    assert response.message.role.value == "assistant"
    assert response.additional_kwargs["mean_gate"] is not None
    assert 0 < response.additional_kwargs["confidence"] <= 1
    assert llm.metadata.is_chat_model
    assert llm.metadata.model_name == "lift:notes@tiny-llama"


def test_complete_matches_the_engines_answer_with_and_without_memory(memory) -> None:
    question = "Who keeps the lighthouse?"
    with_memory = LiftLLM(memory, max_new_tokens=6).complete(question)
    without = LiftLLM(memory, max_new_tokens=6, use_memory=False).complete(question)
    assert with_memory.text == memory.ask(question, max_new_tokens=6).text
    assert without.text == memory.ask(question, max_new_tokens=6, use_memory=False).text
    assert without.additional_kwargs["mean_gate"] is None


def test_streaming_yields_the_same_text_as_blocking_calls(memory) -> None:
    llm = LiftLLM(memory, max_new_tokens=8)
    pieces = list(llm.stream_complete("Who keeps the lighthouse?"))
    assert pieces and pieces[-1].text == llm.complete("Who keeps the lighthouse?").text
    assert "".join(p.delta for p in pieces) == pieces[-1].text
    messages = [ChatMessage(role="user", content="Hello")]
    chunks = list(llm.stream_chat(messages))
    assert chunks[-1].message.content == llm.chat(messages).message.content


def test_async_calls_and_a_too_long_prompt(memory) -> None:
    llm = LiftLLM(memory, max_new_tokens=4, context_window=64)
    response = asyncio.run(llm.achat([ChatMessage(role="user", content="x " * 200)]))
    assert response.additional_kwargs["prompt_tokens"] == 60  # the last 64 - 4 tokens


def test_lift_llm_answers_in_a_llama_index_query_engine(memory, tmp_path) -> None:
    arm = ChromaRetrievalArm(
        collection_name="docs", path=str(tmp_path / "chroma"), embed_model=MiniLMEmbedding()
    )
    arm.add_documents([TEXT])
    engine = arm.index.as_query_engine(llm=LiftLLM(memory, max_new_tokens=8))
    response = engine.query("Who keeps the lighthouse?")
    assert isinstance(response.response, str)
    assert "Ilse Marrick" in response.source_nodes[0].node.get_content()
