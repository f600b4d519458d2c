"""Query engines over a LIFT memory: the memory alone, and the hybrid memory/retrieval router.

Both generate through :class:`LiftLLM` (LlamaIndex LLM events and spans for every arm), answer
``aquery`` off the event loop (the model generates in a worker thread), and return a
``StreamingResponse`` / ``AsyncStreamingResponse`` when built with ``streaming=True``. Both
consult relevance routing (:mod:`llama_index.memory.lift.routing`): the parametric engine's
``auto`` mode answers out-of-scope questions with the base model, and the hybrid router's
evidence carries the same decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import CompletionResponse
from llama_index.core.base.response.schema import (
    AsyncStreamingResponse,
    Response,
    StreamingResponse,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import NodeWithScore
from llama_index.memory.lift.arms import (
    ArmName,
    ArmResult,
    aask_memory,
    arm_llm,
    arm_prompt,
    ask_memory,
)
from llama_index.memory.lift.calibrated_policy import CalibratedPolicy, hybrid_calibration_of
from llama_index.memory.lift.llm import LiftLLM
from llama_index.memory.lift.policies import (
    RouterEvidence,
    Selection,
    SelectionPolicy,
)
from llama_index.memory.lift.retrieval import (
    AnyRetriever,
    RetrievedPassages,
    SimilaritySource,
    aretrieve_passages,
    retrieve_passages,
)
from llama_index.memory.lift.routing import (
    ROUTING_KEY,
    AnswerMode,
    RelevanceRouter,
    RouteDecision,
    Scaling,
    forced_route,
)

from lift_memory.answer import Answer
from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.memory import LiftMemory
from lift_memory.scoring import answer_agreement

QueryResult = Response | StreamingResponse | AsyncStreamingResponse


class ParametricQueryEngine(CustomQueryEngine):
    """Answers from the memory's weights: closed-book, or with a truncated corpus view.

    ``mode="auto"`` (the default) lets the memory answer only questions about its corpus, by the
    relevance threshold calibrated at ingest; the others get the base model's answer, memory off
    (``router=`` a :class:`RelevanceRouter` of your own; by default the memory's, over its
    Chroma arm). ``mode="memory"`` always answers with the memory. ``response.metadata["route"]``
    says which route the answer took and why.

    With ``streaming=True`` the answer streams token by token; the answer's statistics join
    ``response.metadata`` when the stream ends.
    """

    context: Literal["none", "truncated"] = Field(default="none")
    max_new_tokens: int = Field(default=ANSWER_MAX_NEW_TOKENS, gt=0)
    streaming: bool = Field(default=False, description="Stream the answer as it is generated.")
    mode: AnswerMode = Field(
        default="auto",
        description="auto: the memory for questions about its corpus, the base model for the "
        "rest; memory / base: always that side.",
    )
    scaling: Scaling = Field(
        default="hard", description="auto mode: hard switch, or soft (the gate scaled)."
    )

    _memory: LiftMemory = PrivateAttr()
    _router: RelevanceRouter | None = PrivateAttr(default=None)

    def __init__(
        self, memory: LiftMemory, router: RelevanceRouter | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._memory = memory
        self._router = router

    @property
    def memory(self) -> LiftMemory:
        return self._memory

    @property
    def router(self) -> RelevanceRouter:
        if self._router is None:
            self._router = RelevanceRouter.for_memory(self._memory, scaling=self.scaling)
        return self._router

    def decide(self, question: str) -> RouteDecision:
        if self.mode != "auto":
            return forced_route(self.mode)
        return self.router.decide(question)

    def _ask(self, route: RouteDecision) -> dict[str, Any]:
        return {
            "context": self.context,
            "max_new_tokens": self.max_new_tokens,
            "callback_manager": self.callback_manager,
            "route": route,
        }

    def routed_answer(self, question: str) -> tuple[ArmResult, RouteDecision]:
        """The answer to ``question`` and the route it took."""
        route = self.decide(question)
        answer = ask_memory(self._memory, question, **self._ask(route))
        return ArmResult.from_answer("memory", answer), route

    async def arouted_answer(self, question: str) -> tuple[ArmResult, RouteDecision]:
        route = await asyncio.to_thread(self.decide, question)
        answer = await aask_memory(self._memory, question, **self._ask(route))
        return ArmResult.from_answer("memory", answer), route

    def answer(self, question: str) -> ArmResult:
        return self.routed_answer(question)[0]

    async def aanswer(self, question: str) -> ArmResult:
        return (await self.arouted_answer(question))[0]

    def _metadata(
        self, result: ArmResult | None = None, route: RouteDecision | None = None
    ) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "memory": self._memory.manifest.name,
            "context": self.context,
            "mode": self.mode,
        }
        if route is not None:
            metadata["route"] = route.model_dump()
        if result is not None:
            metadata.update(result.model_dump(exclude={"sources", "similarity"}))
        return metadata

    def _response(self, result: ArmResult, route: RouteDecision) -> Response:
        metadata = self._metadata(result, route)
        return Response(response=result.answer, source_nodes=[], metadata=metadata)

    def _streaming_llm_and_prompt(self, question: str, route: RouteDecision) -> tuple[LiftLLM, str]:
        llm = arm_llm(
            self._memory,
            use_memory=route.use_memory,
            max_new_tokens=self.max_new_tokens,
            callback_manager=self.callback_manager,
        )
        return llm, arm_prompt(self._memory, question, self.context)

    def custom_query(self, query_str: str) -> QueryResult:
        if not self.streaming:
            return self._response(*self.routed_answer(query_str))
        route = self.decide(query_str)
        llm, prompt = self._streaming_llm_and_prompt(query_str, route)
        metadata = self._metadata(route=route)
        deltas = _deltas(llm.stream_complete(prompt, route=route), metadata)
        return StreamingResponse(response_gen=deltas, source_nodes=[], metadata=metadata)

    async def acustom_query(self, query_str: str) -> QueryResult:
        if not self.streaming:
            return self._response(*(await self.arouted_answer(query_str)))
        route = await asyncio.to_thread(self.decide, query_str)
        llm, prompt = self._streaming_llm_and_prompt(query_str, route)
        metadata = self._metadata(route=route)
        deltas = _adeltas(await llm.astream_complete(prompt, route=route), metadata)
        return AsyncStreamingResponse(response_gen=deltas, source_nodes=[], metadata=metadata)


def _record_answer(chunk: CompletionResponse, metadata: dict[str, Any]) -> None:
    # the stream's last chunk carries the finished Answer: its statistics join the metadata
    if isinstance(chunk.raw, Answer):
        result = ArmResult.from_answer("memory", chunk.raw)
        metadata.update(result.model_dump(exclude={"sources", "similarity"}))


def _deltas(chunks: Iterator[CompletionResponse], metadata: dict[str, Any]) -> Iterator[str]:
    for chunk in chunks:
        _record_answer(chunk, metadata)
        if chunk.delta:
            yield chunk.delta


async def _adeltas(
    chunks: AsyncIterator[CompletionResponse], metadata: dict[str, Any]
) -> AsyncIterator[str]:
    async for chunk in chunks:
        _record_answer(chunk, metadata)
        if chunk.delta:
            yield chunk.delta


class HybridRouterQueryEngine(CustomQueryEngine):
    """Runs the memory arm and a retrieval arm, scores both, returns the chosen answer.

    ``retrieval`` is a :class:`ChromaRetrievalArm` or any LlamaIndex ``BaseRetriever``; a
    passage's similarity is its ``node.score`` (cosine for the Chroma arm), or, where a score
    is missing or ``similarity_source="embedding"``, the cosine similarity of the question and
    the passage re-embedded with ``embed_model`` (default MiniLM).

    The response's ``metadata`` holds ``chosen``, ``reason``, ``policy``, ``agreement``,
    ``scores``, ``arms`` (each arm's answer, confidence, gate, similarity and sources), so
    both arms can be compared on every question, and ``relevance`` (relevance routing's
    decision for the question, from the same retrieval); ``source_nodes`` are the retrieved
    chunks.

    The default policy is :class:`CalibratedPolicy` with the arm reliabilities the memory's
    ingest measured (the manifest's ``extra["routing"]["hybrid"]``); it then also runs the
    combined arm (memory and passages together) and may choose it.

    ``streaming=True`` returns a ``StreamingResponse`` (``AsyncStreamingResponse`` from
    ``aquery``) of the chosen answer. The policy scores complete answers, so the stream starts
    once every arm has answered and carries the chosen answer in one piece.
    """

    retrieval: AnyRetriever
    policy: SelectionPolicy = Field(default_factory=CalibratedPolicy)
    memory_context: Literal["none", "truncated"] = Field(
        default="none", description="Context of the memory arm."
    )
    run_combined: bool = Field(
        default=False, description="Also run the combined arm when the policy does not need it."
    )
    max_new_tokens: int = Field(default=ANSWER_MAX_NEW_TOKENS, gt=0)
    streaming: bool = Field(default=False, description="Return the chosen answer as a stream.")
    embed_model: BaseEmbedding | None = Field(
        default=None, description="Re-embeds passages without a score (default: MiniLM)."
    )
    similarity_source: SimilaritySource = Field(
        default="score", description="Passage similarity from node.score, or re-embedded."
    )

    _memory: LiftMemory = PrivateAttr()
    _relevance: RelevanceRouter | None = PrivateAttr(default=None)

    def __init__(
        self,
        memory: LiftMemory,
        retrieval: AnyRetriever,
        router: RelevanceRouter | None = None,
        **kwargs: Any,
    ) -> None:
        """``router``: relevance routing's decisions (default: the memory's calibration, scored
        on this engine's retrieval)."""
        super().__init__(retrieval=retrieval, **kwargs)
        self._memory = memory
        self._relevance = router
        if isinstance(self.policy, CalibratedPolicy) and self.policy.calibration is None:
            measured = hybrid_calibration_of(memory.manifest.extra.get(ROUTING_KEY))
            self.policy = CalibratedPolicy(
                calibration=measured, prior_weight=self.policy.prior_weight
            )

    @property
    def memory(self) -> LiftMemory:
        return self._memory

    @property
    def relevance_router(self) -> RelevanceRouter:
        if self._relevance is None:
            self._relevance = RelevanceRouter.for_memory(self._memory, retrieval=self.retrieval)
        return self._relevance

    # --- the arms
    def _retrieval_settings(self) -> dict[str, Any]:
        return {"embed_model": self.embed_model, "similarity_source": self.similarity_source}

    def _arm_requests(self, retrieved: RetrievedPassages) -> dict[ArmName, dict[str, Any]]:
        """Each arm's ``ask_memory`` arguments: the arms that run, with their context."""
        passages = retrieved.passages
        requests: dict[ArmName, dict[str, Any]] = {
            "memory": {"context": self.memory_context},
            "retrieval": {
                "context": "passages" if passages else "none",
                "passages": passages,
                "use_memory": False,
            },
        }
        if self.policy.needs_combined or self.run_combined:
            requests["combined"] = {
                "context": "passages" if passages else self.memory_context,
                "passages": passages,
            }
        shared = {"max_new_tokens": self.max_new_tokens, "callback_manager": self.callback_manager}
        return {arm: {**request, **shared} for arm, request in requests.items()}

    def _evidence(
        self,
        question: str,
        retrieved: RetrievedPassages,
        answers: dict[ArmName, Answer],
        relevance: RouteDecision,
    ) -> RouterEvidence:
        arms = {
            arm: ArmResult.from_answer(arm, answer)
            if arm == "memory"
            else ArmResult.from_answer(
                arm, answer, similarity=retrieved.best_similarity, sources=retrieved.sources
            )
            for arm, answer in answers.items()
        }
        return RouterEvidence(
            question=question,
            memory=arms["memory"],
            retrieval=arms["retrieval"],
            combined=arms.get("combined"),
            agreement=answer_agreement(arms["memory"].answer, arms["retrieval"].answer),
            relevance=relevance,
        )

    def evidence(self, question: str) -> tuple[RouterEvidence, list[NodeWithScore]]:
        """Run the arms on ``question``: their answers, scores and the retrieved nodes."""
        retrieved = retrieve_passages(self.retrieval, question, **self._retrieval_settings())
        relevance = self.relevance_router.decide(question, retrieved=retrieved)
        answers = {
            arm: ask_memory(self._memory, question, **request)
            for arm, request in self._arm_requests(retrieved).items()
        }
        return self._evidence(question, retrieved, answers, relevance), retrieved.nodes

    async def aevidence(self, question: str) -> tuple[RouterEvidence, list[NodeWithScore]]:
        """:meth:`evidence` off the event loop (one arm after another: they share a model)."""
        retrieved = await aretrieve_passages(self.retrieval, question, **self._retrieval_settings())
        relevance = await asyncio.to_thread(
            self.relevance_router.decide, question, retrieved=retrieved
        )
        answers = {
            arm: await aask_memory(self._memory, question, **request)
            for arm, request in self._arm_requests(retrieved).items()
        }
        return self._evidence(question, retrieved, answers, relevance), retrieved.nodes

    def route(self, question: str) -> tuple[Selection, RouterEvidence, list[NodeWithScore]]:
        evidence, nodes = self.evidence(question)
        return self.policy.select(evidence), evidence, nodes

    async def aroute(self, question: str) -> tuple[Selection, RouterEvidence, list[NodeWithScore]]:
        evidence, nodes = await self.aevidence(question)
        return self.policy.select(evidence), evidence, nodes

    # --- the response
    def _chosen(self, selection: Selection, evidence: RouterEvidence) -> tuple[str, dict[str, Any]]:
        """The chosen answer and the response metadata."""
        arms = {"memory": evidence.memory, "retrieval": evidence.retrieval}
        if evidence.combined is not None:
            arms["combined"] = evidence.combined
        if selection.chosen not in arms:
            raise ValueError(f"policy {self.policy.name} chose an arm that did not run")
        metadata = {
            "chosen": selection.chosen,
            "reason": selection.reason,
            "policy": self.policy.name,
            "scores": selection.scores,
            "agreement": evidence.agreement,
            "memory": self._memory.manifest.name,
            "arms": {name: arm.model_dump() for name, arm in arms.items()},
            "relevance": evidence.relevance.model_dump() if evidence.relevance else None,
        }
        return arms[selection.chosen].answer, metadata

    def custom_query(self, query_str: str) -> QueryResult:
        selection, evidence, nodes = self.route(query_str)
        answer, metadata = self._chosen(selection, evidence)
        if self.streaming:
            pieces = iter([answer] if answer else [])
            return StreamingResponse(response_gen=pieces, source_nodes=nodes, metadata=metadata)
        return Response(response=answer, source_nodes=nodes, metadata=metadata)

    async def acustom_query(self, query_str: str) -> QueryResult:
        selection, evidence, nodes = await self.aroute(query_str)
        answer, metadata = self._chosen(selection, evidence)
        if self.streaming:
            return AsyncStreamingResponse(
                response_gen=_apieces([answer] if answer else []),
                source_nodes=nodes,
                metadata=metadata,
            )
        return Response(response=answer, source_nodes=nodes, metadata=metadata)


async def _apieces(pieces: list[str]) -> AsyncIterator[str]:
    for piece in pieces:
        yield piece
