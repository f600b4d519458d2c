"""LiftMemoryBlock inside llama_index.core.memory.Memory, and a ReActAgent using it (tiny model).

A tiny random model cannot learn facts or follow the ReAct format in a test's time, so these
tests check the plumbing end to end: flushed messages reach the block, consolidation trains
them into the memory on disk, recalls reach the agent's LLM prompt. The real-model test checks
that a consolidated fact is actually recalled.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import torch
from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatStartEvent
from llama_index.core.llms import ChatMessage
from llama_index.core.memory import InsertMethod, Memory
from llama_index.core.tools import FunctionTool
from llama_index.memory.lift import LiftLLM, LiftMemoryBlock

from lift_memory import LiftMemory, MemoryStore
from lift_memory.errors import LiftMemoryError
from lift_memory.tiny import tiny_config, tiny_model

CONFIG = tiny_config()
FACT = "My sister's dog is called Pimbleton."


@pytest.fixture
def store(tmp_path) -> MemoryStore:
    return MemoryStore(tmp_path / "home")


@pytest.fixture
def block(store) -> LiftMemoryBlock:
    block = LiftMemoryBlock.from_store(
        "chat", store=store, model=tiny_model(), config=CONFIG, max_new_tokens=6
    )
    yield block
    block.stop_worker()
    block.memory.detach()


def short_memory(
    block: LiftMemoryBlock, session: str = "s1", insert_method: str = "system"
) -> Memory:
    """A Memory whose short-term history holds only a few messages."""
    return Memory.from_defaults(
        session_id=session,
        token_limit=60,
        chat_history_token_ratio=0.5,
        token_flush_size=20,
        memory_blocks=[block],
        insert_method=InsertMethod(insert_method),
    )


async def chat(memory: Memory, turns: int) -> None:
    for index in range(turns):
        await memory.aput(ChatMessage(role="user", content=f"Turn {index}: {FACT}"))
        await memory.aput(ChatMessage(role="assistant", content=f"Noted ({index})."))


def adapter_copy(block: LiftMemoryBlock) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in block.memory.adapter.tensors().items()}


def test_a_new_block_creates_an_empty_memory_that_recalls_nothing(block, store) -> None:
    assert store.read_manifest("chat").status == "complete"
    assert block.memory.documents == []
    messages = [ChatMessage(role="user", content="What is the dog called?")]
    assert asyncio.run(block.aget(messages)) == ""
    assert block.consolidate() is None  # nothing queued


def test_flushed_messages_are_consolidated_into_the_memory_on_disk(block, store) -> None:
    memory = short_memory(block)
    asyncio.run(chat(memory, 6))
    history = asyncio.run(memory.aget())
    pending = block.pending
    assert pending and len(history) < 12  # Memory flushed the oldest turns to the block
    assert all(m.additional_kwargs.get("session_id") == "s1" for m in pending)
    before = adapter_copy(block)

    result = block.consolidate()

    assert result is not None and block.pending == []
    assert "User: Turn 0: " + FACT in block.memory.documents[-1].text
    assert block.memory.documents[-1].source.startswith("chat:s1:")
    assert any(not torch.equal(before[k], v) for k, v in block.memory.adapter.tensors().items())
    manifest = store.read_manifest("chat")
    assert manifest.metrics["consolidations"] == 1.0 and len(manifest.documents) == 1
    reopened = LiftMemory.load("chat", store=MemoryStore(store.home), model=tiny_model())
    try:
        assert reopened.documents == block.memory.documents
        for key, value in reopened.adapter.tensors().items():
            assert torch.equal(value, block.memory.adapter.tensors()[key])
    finally:
        reopened.detach()

    # with the chat history gone, the block recalls from the memory for the latest question
    asyncio.run(memory.areset())
    messages = asyncio.run(memory.aget(input="What is my sister's dog called?"))
    assert 'Asked "What is my sister\'s dog called?", the long-term memory recalls:' in (
        messages[0].content
    )
    assert block.last_recall is not None


def test_consolidate_every_trains_as_messages_arrive(store) -> None:
    block = LiftMemoryBlock.from_store(
        "auto", store=store, model=tiny_model(), config=CONFIG, consolidate_every=2
    )
    try:
        asyncio.run(chat(short_memory(block), 6))
        assert len(block.consolidations) >= 1
        assert store.read_manifest("auto").metrics["consolidations"] >= 1
    finally:
        block.memory.detach()


def test_background_worker_consolidates_while_the_chat_goes_on(block) -> None:
    worker = block.start_worker()
    asyncio.run(chat(short_memory(block), 6))
    assert worker.wait_idle(timeout=120)
    assert block.pending == [] and len(block.consolidations) >= 1
    block.stop_worker()


def test_a_failed_consolidation_keeps_the_queued_messages(store) -> None:
    block = LiftMemoryBlock.from_store(
        "failing",
        store=store,
        model=tiny_model(),
        config=CONFIG,
        # an OpenAI QA generator needs an endpoint object: consolidation refuses this config
        consolidation_config=CONFIG.model_copy(update={"qa_generator": "openai"}),
    )
    try:
        block.enqueue([ChatMessage(role="user", content=FACT)])
        with pytest.raises(LiftMemoryError):
            block.consolidate()
        assert [m.content for m in block.pending] == [FACT]
    finally:
        block.memory.detach()


class ChatInputs(BaseEventHandler):
    """Records the messages of every LLM chat call."""

    calls: list[list[ChatMessage]] = []

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, LLMChatStartEvent):
            self.calls.append(list(event.messages))


def test_react_agent_with_lift_llm_and_a_memory_holding_the_block(block) -> None:
    # ReActAgent drops the system message that Memory puts memory blocks into, so the block's
    # recall goes into the latest user message instead
    memory = short_memory(block, session="agent", insert_method="user")
    asyncio.run(chat(memory, 6))
    block.consolidate()

    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    llm = LiftLLM(block.memory, max_new_tokens=12, context_window=4096)
    agent = ReActAgent(tools=[FunctionTool.from_defaults(add)], llm=llm)
    handler = ChatInputs(calls=[])
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)

    async def run() -> Any:
        return await agent.run(
            "What is my sister's dog called?",
            memory=memory,
            max_iterations=2,
            early_stopping_method="generate",
        )

    try:
        output = asyncio.run(run())
    finally:
        dispatcher.event_handlers.remove(handler)

    assert isinstance(str(output), str)
    assert handler.calls, "the agent never called LiftLLM"
    prompts = ["\n".join(m.content or "" for m in call) for call in handler.calls]
    assert any("<lift_memory>" in p and "long-term memory recalls" in p for p in prompts)
    assert any("What is my sister's dog called?" in p for p in prompts)
    assert block.last_recall is not None
    # the agent's turn went into the short-term history
    assert any(m.role.value == "user" for m in asyncio.run(memory.aget_all()))


def test_a_block_over_an_ingested_memory_keeps_and_replays_its_corpus(store) -> None:
    from lift_memory import Document, ingest
    from lift_memory.qa import read_qa_jsonl

    loaded = tiny_model()
    corpus = Document("notes.txt", "Ilse Marrick keeps the lighthouse on Varrow Point since 1887.")
    ingest([corpus], "notes", store=store, model=loaded, config=CONFIG)
    qa_before = len(read_qa_jsonl(store.qa_path("notes")))
    block = LiftMemoryBlock.from_store("notes", store=store, model=loaded)
    try:
        block.enqueue([ChatMessage(role="user", content=FACT)])
        result = block.consolidate()
        assert [d.source for d in block.memory.documents] == [
            "notes.txt",
            result.documents[0].source,
        ]
        manifest = store.read_manifest("notes")
        assert len(manifest.documents) == 2 and manifest.status == "complete"
        assert len(read_qa_jsonl(store.qa_path("notes"))) == qa_before + len(result.qa_pairs)
    finally:
        block.memory.detach()


def test_a_memory_that_answers_scaled_down_consolidates_at_its_training_scale(
    store, monkeypatch
) -> None:
    from peft.tuners.lora import LoraLayer

    from lift_memory import train as train_module

    def relative_scale(model) -> float:
        layer = next(m for m in model.modules() if isinstance(m, LoraLayer))
        return layer.scaling["default"] / (layer.lora_alpha["default"] / layer.r["default"])

    lora = CONFIG.lora.model_copy(update={"answer_scale": 0.5})
    config = CONFIG.model_copy(update={"lora": lora})
    block = LiftMemoryBlock.from_store("scaled", store=store, model=tiny_model(), config=config)
    seen: list[float] = []
    real_train = train_module.LiftTrainer.train

    def spy(self, stages, resume=False):
        seen.append(relative_scale(self.loaded.model))
        return real_train(self, stages, resume)

    monkeypatch.setattr(train_module.LiftTrainer, "train", spy)
    try:
        assert block.memory.adapter.answer_scale == 0.5
        assert relative_scale(block.memory.loaded.model) == pytest.approx(0.5)
        asyncio.run(block._aput([ChatMessage(role="user", content=FACT)]))
        assert block.consolidate() is not None
        assert seen == [pytest.approx(1.0)]  # trained at alpha / rank
        assert relative_scale(block.memory.loaded.model) == pytest.approx(0.5)  # answers at half
    finally:
        block.stop_worker()
        block.memory.detach()
