"""LiftLLM and the query engines driven through LlamaIndex's own APIs (tiny model).

Streaming query engines over ``Settings.llm``, ``RouterQueryEngine`` with ``QueryEngineTool``s,
an agent workflow, async calls that leave the event loop running, instrumentation events and
spans for every generation, any ``BaseRetriever`` as the router's retrieval arm, and an LLM
that round-trips through ``to_dict`` / ``from_dict``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from llama_index.core import Document as LlamaDocument
from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, ReActAgent
from llama_index.core.base.embeddings.base import similarity
from llama_index.core.base.response.schema import AsyncStreamingResponse, StreamingResponse
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler
from llama_index.core.llms import ChatMessage
from llama_index.core.query_engine import RouterQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.selectors import EmbeddingSingleSelector
from llama_index.core.tools import QueryEngineTool
from llama_index.memory.lift import (
    AlwaysCombinePolicy,
    ChromaRetrievalArm,
    HybridRouterQueryEngine,
    LiftLLM,
    MiniLMEmbedding,
    ParametricQueryEngine,
    RetrievalFirstPolicy,
)

from lift_memory import Document, LiftMemory, MemoryStore, ingest
from lift_memory.models import model_lock
from lift_memory.tiny import tiny_config, tiny_model

MEMORY_TEXT = "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk."
FERRY = "The ferry Silver Heron sails from Kelby to Varnholm every Tuesday morning."
MARKETS = "Copper prices rose for the third week as mines in the north closed for repairs."
QUESTION = "Which ferry sails to Varnholm?"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> MemoryStore:
    return MemoryStore(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def memory(store) -> LiftMemory:
    loaded = tiny_model()
    ingest(
        [Document("notes.txt", MEMORY_TEXT)],
        "notes",
        store=store,
        model=loaded,
        config=tiny_config(adapter="gated_memory"),  # the gate statistics are reported
    )
    memory = LiftMemory.load("notes", store=store, model=loaded)
    yield memory
    memory.detach()


@pytest.fixture(scope="module")
def embed_model() -> MiniLMEmbedding:
    return MiniLMEmbedding()


@pytest.fixture(scope="module")
def index(embed_model) -> VectorStoreIndex:
    """Someone's existing index (LlamaIndex's in-memory vector store), not our Chroma arm."""
    documents = [LlamaDocument(text=FERRY), LlamaDocument(text=MARKETS)]
    return VectorStoreIndex.from_documents(documents, embed_model=embed_model)


@pytest.fixture(scope="module")
def chroma_arm(store, embed_model) -> ChromaRetrievalArm:
    arm = ChromaRetrievalArm.for_memory("notes", store=store, embed_model=embed_model)
    arm.add_documents([Document("ferry.txt", FERRY)])
    return arm


class Recorder(BaseEventHandler):
    """Records every instrumentation event."""

    events: list[BaseEvent] = []

    @classmethod
    def class_name(cls) -> str:
        return "Recorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)

    def names(self, prefix: str = "LLM") -> list[str]:
        return [e.class_name() for e in self.events if e.class_name().startswith(prefix)]


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, SimpleSpanHandler]]:
    """An event handler and a span handler on LlamaIndex's root dispatcher."""
    dispatcher = get_dispatcher()
    events, spans = Recorder(events=[]), SimpleSpanHandler()
    dispatcher.add_event_handler(events)
    dispatcher.add_span_handler(spans)
    yield events, spans
    dispatcher.event_handlers.remove(events)
    dispatcher.span_handlers.remove(spans)


def span_names(spans: SimpleSpanHandler) -> list[str]:
    return [span.id_.rsplit("-", 5)[0] for span in spans.completed_spans]


def ancestors(spans: SimpleSpanHandler, span_id: str) -> list[str]:
    by_id = {span.id_: span for span in spans.completed_spans}
    names, parent = [], by_id[span_id].parent_id
    while parent in by_id:
        names.append(parent.rsplit("-", 5)[0])
        parent = by_id[parent].parent_id
    return names


@contextlib.contextmanager
def without_eos(memory: LiftMemory) -> Iterator[None]:
    """Generation runs to max_new_tokens (a random model stops early at a chance EOS)."""
    config = memory.loaded.model.generation_config
    eos, config.eos_token_id = config.eos_token_id, None
    try:
        yield
    finally:
        config.eos_token_id = eos


async def ticks_while(work: Callable[[], Awaitable[Any]]) -> tuple[int, Any]:
    """How often a ticker coroutine ran while ``work`` was awaited, and its result."""
    ticks, done = 0, False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0.002)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # let it start
    ticks = 0
    try:
        result = await work()
    finally:
        done = True
        await task
    return ticks, result


async def drain(stream: Any) -> list[Any]:
    return [item async for item in stream]


# --- streaming through LlamaIndex's own query engine (Settings.llm)
def test_settings_llm_streams_in_a_vector_store_query_engine(memory, index, monkeypatch) -> None:
    monkeypatch.setattr(Settings, "_llm", LiftLLM(memory, max_new_tokens=12))
    blocking = index.as_query_engine().query(QUESTION)

    streaming = index.as_query_engine(streaming=True).query(QUESTION)
    assert isinstance(streaming, StreamingResponse)
    pieces = list(streaming.response_gen)
    assert pieces and all(pieces)
    assert "".join(pieces).strip() == blocking.response.strip()
    assert "Silver Heron" in streaming.source_nodes[0].node.get_content()

    async def astream() -> list[str]:
        response = await index.as_query_engine(streaming=True).aquery(QUESTION)
        assert isinstance(response, AsyncStreamingResponse)
        return await drain(response.async_response_gen())

    assert "".join(asyncio.run(astream())).strip() == blocking.response.strip()


def test_streams_end_with_the_answers_statistics(memory) -> None:
    llm = LiftLLM(memory, max_new_tokens=10)
    blocking = llm.complete("Who keeps the lighthouse?")
    chunks = list(llm.stream_complete("Who keeps the lighthouse?"))
    assert all(chunk.delta for chunk in chunks)  # no empty trailing chunk
    last = chunks[-1]
    assert last.text.strip() == blocking.text and last.raw.text == blocking.text
    assert last.additional_kwargs["confidence"] == pytest.approx(
        blocking.additional_kwargs["confidence"]
    )
    messages = [ChatMessage(role="user", content="Hello")]
    chat = asyncio.run(drain(asyncio.run(llm.astream_chat(messages))))
    assert chat[-1].message.content.strip() == llm.chat(messages).message.content
    assert chat[-1].additional_kwargs["mean_gate"] is not None


# --- async: the model generates off the event loop, holding the model lock in the worker
def _async_calls(memory: LiftMemory, retriever: Any) -> dict[str, Callable[[], Awaitable[Any]]]:
    llm = LiftLLM(memory, max_new_tokens=300, context_window=4096)
    messages = [ChatMessage(role="user", content="Who keeps the lighthouse?")]

    async def astream_complete() -> Any:
        return (await drain(await llm.astream_complete("Who keeps the lighthouse?")))[-1]

    async def astream_chat() -> Any:
        return (await drain(await llm.astream_chat(messages)))[-1]

    return {
        "acomplete": lambda: llm.acomplete("Who keeps the lighthouse?"),
        "achat": lambda: llm.achat(messages),
        "astream_complete": astream_complete,
        "astream_chat": astream_chat,
        "ParametricQueryEngine.aquery": lambda: ParametricQueryEngine(
            memory, max_new_tokens=300
        ).aquery("Who keeps the lighthouse?"),
        "HybridRouterQueryEngine.aquery": lambda: HybridRouterQueryEngine(
            memory, retriever, max_new_tokens=150
        ).aquery(QUESTION),
    }


@pytest.mark.parametrize(
    "call",
    [
        "acomplete",
        "achat",
        "astream_complete",
        "astream_chat",
        "ParametricQueryEngine.aquery",
        "HybridRouterQueryEngine.aquery",
    ],
)
def test_async_calls_leave_the_event_loop_running(memory, index, call) -> None:
    work = _async_calls(memory, index.as_retriever(similarity_top_k=1))[call]
    with without_eos(memory):
        ticks, result = asyncio.run(ticks_while(work))
    if call in ("acomplete", "achat"):
        assert result.additional_kwargs["generated_tokens"] == 300
    assert ticks >= 10, f"{call}: the event loop ran only {ticks} times while generating"


def test_a_blocking_call_stops_the_ticker(memory) -> None:
    """The control of the liveness check: a synchronous generation starves the loop."""
    llm = LiftLLM(memory, max_new_tokens=300, context_window=4096)

    async def blocking() -> Any:
        return llm.complete("Who keeps the lighthouse?")

    with without_eos(memory):
        ticks, _ = asyncio.run(ticks_while(blocking))
    assert ticks <= 2


def test_async_generation_waits_for_the_model_lock_in_its_worker(memory) -> None:
    """A consolidation holding the model delays the answer, never the event loop."""
    held, release = threading.Event(), threading.Event()

    def consolidation() -> None:
        with model_lock(memory.loaded):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=consolidation)
    thread.start()
    held.wait(5)
    threading.Timer(0.4, release.set).start()
    started = time.perf_counter()
    ticks, response = asyncio.run(
        ticks_while(lambda: LiftLLM(memory, max_new_tokens=4).acomplete("Hi"))
    )
    thread.join()
    assert time.perf_counter() - started >= 0.35
    assert ticks >= 10 and response.additional_kwargs["generated_tokens"] >= 1


# --- instrumentation: events and spans for every generation
def test_every_llm_call_emits_events_and_a_span(memory, recorder) -> None:
    events, spans = recorder
    llm = LiftLLM(memory, max_new_tokens=6)
    messages = [ChatMessage(role="user", content="Hi")]
    llm.complete("Hi")
    list(llm.stream_complete("Hi"))
    asyncio.run(llm.achat(messages))
    asyncio.run(drain(asyncio.run(llm.astream_chat(messages))))
    names = events.names()
    assert names.count("LLMCompletionStartEvent") == names.count("LLMCompletionEndEvent") == 2
    assert names.count("LLMChatStartEvent") == names.count("LLMChatEndEvent") == 2
    assert {"LiftLLM.complete", "LiftLLM.stream_complete", "LiftLLM.achat"} <= set(
        span_names(spans)
    )
    end = next(e for e in events.events if e.class_name() == "LLMCompletionEndEvent")
    assert end.response.additional_kwargs["mean_gate"] is not None


@pytest.mark.parametrize("asynchronous", [False, True])
def test_every_router_arm_is_an_llm_call_inside_the_query_span(
    memory, chroma_arm, recorder, asynchronous
) -> None:
    events, spans = recorder
    debug = LlamaDebugHandler()
    router = HybridRouterQueryEngine(
        memory,
        chroma_arm,
        policy=AlwaysCombinePolicy(),
        max_new_tokens=6,
        callback_manager=CallbackManager([debug]),
    )
    response = asyncio.run(router.aquery(QUESTION)) if asynchronous else router.query(QUESTION)
    assert set(response.metadata["arms"]) == {"memory", "retrieval", "combined"}
    names = events.names()
    assert names.count("LLMCompletionStartEvent") == names.count("LLMCompletionEndEvent") == 3
    prompts = [e.prompt for e in events.events if e.class_name() == "LLMCompletionStartEvent"]
    assert sum("Silver Heron" in prompt for prompt in prompts) == 2  # retrieval and combined
    assert len(debug.get_event_pairs(CBEventType.LLM)) == 3  # legacy callbacks see them too
    query = "HybridRouterQueryEngine." + ("aquery" if asynchronous else "query")
    generation = "LiftLLM.acomplete" if asynchronous else "LiftLLM.complete"
    arm_spans = [s.id_ for s in spans.completed_spans if s.id_.startswith(generation + "-")]
    assert len(arm_spans) == 3
    assert all(query in ancestors(spans, span_id) for span_id in arm_spans)


# --- any LlamaIndex retriever as the router's retrieval arm
class UnscoredRetriever(BaseRetriever):
    """A retriever that gives no scores (keyword lookups, a web search, ...)."""

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [NodeWithScore(node=TextNode(text=FERRY), score=None)]


def test_router_takes_any_llama_index_retriever(memory, index, embed_model) -> None:
    scored = HybridRouterQueryEngine(
        memory, index.as_retriever(similarity_top_k=1), max_new_tokens=6
    ).query(QUESTION)
    retrieval = scored.metadata["arms"]["retrieval"]
    assert "Silver Heron" in retrieval["sources"][0]["text"]
    assert retrieval["similarity"] == pytest.approx(scored.source_nodes[0].score)
    assert retrieval["similarity"] > 0.5

    expected = similarity(
        embed_model.get_query_embedding(QUESTION), embed_model.get_text_embedding(FERRY)
    )
    unscored = HybridRouterQueryEngine(
        memory, UnscoredRetriever(), embed_model=embed_model, max_new_tokens=6
    )
    assert unscored.query(QUESTION).metadata["arms"]["retrieval"]["similarity"] == pytest.approx(
        expected, abs=1e-5
    )
    # re-embedding on request gives the index's own cosine back (it embeds with MiniLM too)
    reembedded = HybridRouterQueryEngine(
        memory,
        index.as_retriever(similarity_top_k=1),
        embed_model=embed_model,
        similarity_source="embedding",
        policy=RetrievalFirstPolicy(min_similarity=0.5),
        max_new_tokens=6,
    )
    response = asyncio.run(reembedded.aquery(QUESTION))
    assert response.metadata["arms"]["retrieval"]["similarity"] == pytest.approx(
        retrieval["similarity"], abs=1e-4
    )
    assert response.metadata["chosen"] == "retrieval"


# --- streaming query engines of our own
def test_router_streams_its_chosen_answer(memory, chroma_arm) -> None:
    router = HybridRouterQueryEngine(memory, chroma_arm, streaming=True, max_new_tokens=8)
    response = router.query(QUESTION)
    assert isinstance(response, StreamingResponse)
    chosen = response.metadata["arms"][response.metadata["chosen"]]["answer"]
    assert "".join(response.response_gen) == chosen
    assert "Silver Heron" in response.source_nodes[0].node.get_content()

    async def astream() -> tuple[str, str]:
        response = await router.aquery(QUESTION)
        assert isinstance(response, AsyncStreamingResponse)
        text = "".join(await drain(response.async_response_gen()))
        return text, response.metadata["arms"][response.metadata["chosen"]]["answer"]

    text, chosen = asyncio.run(astream())
    assert text == chosen


def test_parametric_engine_streams_token_by_token(memory) -> None:
    question = "Who keeps the lighthouse?"
    expected = memory.ask(question, max_new_tokens=10).text
    engine = ParametricQueryEngine(memory, max_new_tokens=10, streaming=True)
    response = engine.query(question)
    assert isinstance(response, StreamingResponse) and "confidence" not in response.metadata
    assert "".join(response.response_gen).strip() == expected
    assert response.metadata["answer"] == expected and response.metadata["mean_gate"] is not None

    async def astream() -> str:
        response = await engine.aquery(question)
        return "".join(await drain(response.async_response_gen()))

    assert asyncio.run(astream()).strip() == expected


# --- LlamaIndex composition: RouterQueryEngine, tools, an agent workflow
def test_router_query_engine_over_query_engine_tools_async(
    memory, index, embed_model, recorder
) -> None:
    events, _ = recorder
    hybrid = QueryEngineTool.from_defaults(
        HybridRouterQueryEngine(memory, index.as_retriever(similarity_top_k=1), max_new_tokens=6),
        name="harbour",
        description="Ferries, harbours, boats and sailing timetables.",
    )
    parametric = QueryEngineTool.from_defaults(
        ParametricQueryEngine(memory, max_new_tokens=6),
        name="arithmetic",
        description="Arithmetic and multiplication tables.",
    )
    router = RouterQueryEngine(
        selector=EmbeddingSingleSelector.from_defaults(embed_model=embed_model),
        query_engine_tools=[parametric, hybrid],
        llm=LiftLLM(memory, max_new_tokens=6),
    )
    response = asyncio.run(router.aquery("Which ferry sails to Varnholm on Tuesdays?"))
    assert response.metadata["selector_result"].ind == 1
    assert response.response == response.metadata["arms"][response.metadata["chosen"]]["answer"]
    assert events.names().count("LLMCompletionEndEvent") == 2  # the router's two arms

    output = asyncio.run(hybrid.acall(input=QUESTION))  # what an agent's tool call runs
    assert output.content == output.raw_output.response


def test_react_agent_workflow_streams_from_lift_llm(memory, recorder) -> None:
    """A tiny random model cannot follow the ReAct format, so this checks the plumbing: the
    workflow streams the LLM's reply (astream_chat) with the event loop running."""
    events, _ = recorder
    tool = QueryEngineTool.from_defaults(
        ParametricQueryEngine(memory, max_new_tokens=6),
        name="lighthouse",
        description="The lighthouse on Varrow Point and its keeper.",
    )
    agent = ReActAgent(tools=[tool], llm=LiftLLM(memory, max_new_tokens=150, context_window=4096))

    async def run() -> tuple[list[str], Any]:
        handler = agent.run(
            "Who keeps the lighthouse?", max_iterations=2, early_stopping_method="generate"
        )
        deltas = [
            event.delta async for event in handler.stream_events() if isinstance(event, AgentStream)
        ]
        return deltas, await handler

    with without_eos(memory):
        ticks, (deltas, output) = asyncio.run(ticks_while(run))
    assert deltas and "".join(deltas).strip()
    assert str(output)
    assert "LLMChatStartEvent" in events.names() and "LLMChatInProgressEvent" in events.names()
    assert ticks >= 10


# --- serialisation
def test_lift_llm_round_trips_through_to_dict_and_json(store) -> None:
    # each LiftLLM gets its own copy of the base model: one model carries one memory at a time
    llm = LiftLLM.from_store(
        "notes",
        store.home,
        model=tiny_model(),
        max_new_tokens=7,
        use_memory=False,
        system_prompt="Be brief.",
    )
    data = llm.to_dict()
    assert data["memory_name"] == "notes" and data["home"] == str(store.home)
    assert data["class_name"] == "LiftLLM"
    expected = llm.complete("Who keeps the lighthouse?").text
    llm.memory.detach()

    for load in (
        lambda: LiftLLM.from_dict(data, model=tiny_model()),
        lambda: LiftLLM.from_json(llm.to_json(), model=tiny_model()),
    ):
        restored = load()
        assert restored.to_dict() == data
        reply = restored.complete("Who keeps the lighthouse?")
        assert reply.text == expected
        assert reply.additional_kwargs["mean_gate"] is None  # use_memory=False survived
        restored.memory.detach()
