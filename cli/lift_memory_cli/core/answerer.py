"""Answering a question in any of the six modes (:mod:`lift_memory_cli.core.modes`) for one
opened memory, with the integration's arms, relevance router and hybrid router; `ask`, `compare`
and the server's chat completions all answer through :class:`Answerer`. An ``auto`` answer (and
a hybrid one) carries its ``route``: memory or base model, the relevance score and threshold.

With a ``conversation`` (the server's system message and earlier turns) the memory, rag, icl and
base modes put the question's user turn after them, in the model's chat template and within its
context window (:mod:`lift_memory_cli.core.conversation`); the hybrid router answers the last
question alone, as it compares single-question arms.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llama_index.memory.lift import (
    AlwaysCombinePolicy,
    ArmResult,
    CalibratedPolicy,
    ConfidencePolicy,
    HybridRouterQueryEngine,
    RelevanceRouter,
    RetrievalFirstPolicy,
    SelectionPolicy,
    retrieve_passages,
)
from llama_index.memory.lift.arms import arm_prompt, ask_memory
from llama_index.memory.lift.routing import (
    RouteDecision,
    forced_route,
    routed,
    routing_calibration,
)

from lift_memory.answer import generate_answer, generate_reply
from lift_memory.answer_length import ANSWER_MAX_NEW_TOKENS
from lift_memory.models import model_lock
from lift_memory.prompts import question_prompt
from lift_memory_cli.core.conversation import Turn, context_window, conversation_ids
from lift_memory_cli.core.errors import ServiceError
from lift_memory_cli.core.modes import DEFAULT_POLICY, DEFAULT_SCALING, POLICIES, RETRIEVAL_MODES

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from llama_index.memory.lift import ChromaRetrievalArm
    from llama_index.memory.lift.calibrated_policy import HybridCalibration

    from lift_memory.adapters import Adapter
    from lift_memory.answer import Answer
    from lift_memory.memory import LiftMemory
    from lift_memory.models import LoadedModel
    from lift_memory_cli.core.memories import OpenedMemory


def make_policy(name: str, *, calibration: HybridCalibration | None = None) -> SelectionPolicy:
    """The hybrid router's policy called ``name`` (one of :data:`POLICIES`). ``calibration``:
    the calibrated policy's measurements; without them the router fills in what the memory's
    ingest recorded."""
    if name == "calibrated":
        return CalibratedPolicy(calibration=calibration)
    if name == "confidence":
        return ConfidencePolicy()
    if name == "retrieval-first":
        return RetrievalFirstPolicy()
    if name == "combine":
        return AlwaysCombinePolicy()
    raise ServiceError(f"unknown policy '{name}'; choose from {', '.join(POLICIES)}")


@dataclass
class ModeResult:
    """One mode's answer to one question."""

    mode: str
    answer: str
    latency_s: float
    confidence: float | None = None
    mean_logprob: float | None = None
    mean_gate: float | None = None
    similarity: float | None = None
    sources: list[dict[str, Any]] | None = None
    chosen: str | None = None
    reason: str | None = None
    policy: str | None = None
    agreement: float | None = None
    arms: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    hit_token_limit: bool = False
    """The generation stopped at ``max_new_tokens``, not at the end of its answer."""
    route: dict[str, Any] | None = None
    """auto and hybrid: relevance routing's decision (route, score, threshold, reason)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mode": self.mode,
            "answer": self.answer,
            "latency_s": self.latency_s,
            "confidence": self.confidence,
            "mean_logprob": self.mean_logprob,
            "mean_gate": self.mean_gate,
        }
        if self.sources is not None:
            data["similarity"] = self.similarity
            data["sources"] = self.sources
        if self.mode == "hybrid":
            data.update(
                chosen=self.chosen,
                reason=self.reason,
                policy=self.policy,
                agreement=self.agreement,
                arms=self.arms,
            )
        if self.route is not None:
            data["route"] = self.route
        return data


def _arm_json(arm: ArmResult, latency_s: float) -> dict[str, Any]:
    data = {
        "answer": arm.answer,
        "confidence": arm.confidence,
        "mean_logprob": arm.mean_logprob,
        "mean_gate": arm.mean_gate,
        "latency_s": latency_s,
    }
    if arm.arm != "memory":
        data["similarity"] = arm.similarity
        data["sources"] = arm.sources
    return data


def _counted(result: ModeResult, answer: Answer, max_new_tokens: int) -> ModeResult:
    """``result`` with the token counts of the generation that wrote it."""
    result.prompt_tokens = answer.prompt_tokens
    result.completion_tokens = answer.generated_tokens
    result.hit_token_limit = answer.generated_tokens >= max_new_tokens
    return result


def generate_in_conversation(
    loaded: LoadedModel,
    conversation: Sequence[Turn],
    user_text: str,
    *,
    adapter: Adapter | None = None,
    use_memory: bool = True,
    max_new_tokens: int = ANSWER_MAX_NEW_TOKENS,
    streamer: Any | None = None,
) -> Answer:
    """The reply to ``user_text`` after ``conversation``, fitted to the model's context."""
    budget = context_window(loaded) - max_new_tokens
    ids = conversation_ids(loaded.tokenizer, conversation, user_text, budget=budget)
    with model_lock(loaded):
        return generate_reply(
            loaded,
            ids,
            adapter=adapter,
            use_memory=use_memory,
            max_new_tokens=max_new_tokens,
            streamer=streamer,
        )


def _from_arm(mode: str, arm: ArmResult, latency_s: float) -> ModeResult:
    retrieved = arm.arm != "memory"  # the retrieval and combined arms had passages
    return ModeResult(
        mode=mode,
        answer=arm.answer,
        latency_s=latency_s,
        confidence=arm.confidence,
        mean_logprob=arm.mean_logprob,
        mean_gate=arm.mean_gate,
        similarity=arm.similarity if retrieved else None,
        sources=list(arm.sources) if retrieved else None,
    )


def relevance_router(
    memory: LiftMemory, retrieval: ChromaRetrievalArm | None, scaling: str = DEFAULT_SCALING
) -> RelevanceRouter:
    """Auto mode's router: the calibration the memory's ingest recorded, scored over its Chroma
    arm ``retrieval``; without the arm (not opened, or none built) auto answers with the memory."""
    calibration = routing_calibration(memory.manifest) if retrieval is not None else None
    return RelevanceRouter(
        memory, retrieval, calibration, scaling="soft" if scaling == "soft" else "hard"
    )


class Answerer:
    """Answers questions in any of the modes for one opened memory."""

    def __init__(
        self,
        memory: LiftMemory,
        retrieval: ChromaRetrievalArm | None = None,
        *,
        policy: str = DEFAULT_POLICY,
        max_new_tokens: int = ANSWER_MAX_NEW_TOKENS,
        top_k: int | None = None,
        conversation: Sequence[Turn] | None = None,
        scaling: str = DEFAULT_SCALING,
    ) -> None:
        """``retrieval``: the memory's Chroma arm, needed by rag and hybrid, and by auto for
        a calibrated memory (without it auto answers with the memory)."""
        self.memory = memory
        self.retrieval = retrieval
        self.max_new_tokens = max_new_tokens
        self.conversation = conversation
        self.relevance = relevance_router(memory, retrieval, scaling)
        self._router = None
        if retrieval is not None:
            if top_k:
                retrieval.similarity_top_k = top_k
            self._router = HybridRouterQueryEngine(
                memory,
                retrieval,
                router=self.relevance,
                policy=make_policy(policy),
                max_new_tokens=max_new_tokens,
            )

    def answer(
        self, question: str, modes: list[str], *, streamer: Any | None = None
    ) -> dict[str, ModeResult]:
        """Each mode's answer to ``question``, in the order of ``modes``.

        ``streamer`` (a transformers streamer) receives the answer's tokens as they are
        generated; it needs exactly one mode other than hybrid, whose router only picks its
        answer after both arms have run.
        """
        if streamer is not None and (len(modes) != 1 or modes[0] == "hybrid"):
            raise ServiceError("streaming answers one mode at a time, and not hybrid")
        if RETRIEVAL_MODES & set(modes) and self._router is None:
            raise ServiceError("rag and hybrid modes need the memory's retrieval arm")
        results: dict[str, ModeResult] = {}
        if "hybrid" in modes or {"memory", "rag"} <= set(modes):
            results.update(self._router_modes(question, modes))
        for mode in modes:
            if mode not in results:
                results[mode] = self._single(question, mode, streamer)
        return {mode: results[mode] for mode in modes}

    # --- one arm at a time
    def _ask(
        self,
        question: str,
        *,
        context: Any = "none",
        passages: list[str] | None = None,
        use_memory: bool = True,
        streamer: Any | None = None,
        route: RouteDecision | None = None,
    ) -> Answer:
        route = route or forced_route("memory" if use_memory else "base")
        if self.conversation is None:  # one question: the integration's arm, with its events
            return ask_memory(
                self.memory,
                question,
                context=context,
                passages=passages,
                max_new_tokens=self.max_new_tokens,
                streamer=streamer,
                route=route,
            )
        loaded = self.memory.loaded
        with model_lock(loaded), routed(self.memory.adapter, route) as routed_use_memory:
            return generate_in_conversation(
                loaded,
                self.conversation,
                arm_prompt(self.memory, question, context, passages),
                adapter=self.memory.adapter,
                use_memory=routed_use_memory,
                max_new_tokens=self.max_new_tokens,
                streamer=streamer,
            )

    def _single(self, question: str, mode: str, streamer: Any | None = None) -> ModeResult:
        if mode == "auto":
            return self._auto(question, streamer)
        if mode == "memory":
            answer = self._ask(question, streamer=streamer)
            result = _from_arm(mode, ArmResult.from_answer("memory", answer), answer.latency_s)
            return _counted(result, answer, self.max_new_tokens)
        if mode in ("base", "icl"):  # the memory switched off; icl sees the truncated corpus
            context = "truncated" if mode == "icl" else "none"
            answer = self._ask(question, context=context, use_memory=False, streamer=streamer)
            result = _from_arm(mode, ArmResult.from_answer("memory", answer), answer.latency_s)
            return _counted(result, answer, self.max_new_tokens)
        if mode == "rag":
            return self._rag(question, streamer)
        raise ServiceError(f"unknown mode '{mode}'")

    def _auto(self, question: str, streamer: Any | None = None) -> ModeResult:
        """The memory's answer if the question is about its corpus, else the base model's."""
        started = time.perf_counter()
        route = self.relevance.decide(question)
        answer = self._ask(question, route=route, streamer=streamer)
        arm = ArmResult.from_answer("memory", answer)
        result = _from_arm("auto", arm, time.perf_counter() - started)
        result.route = route.model_dump()
        return _counted(result, answer, self.max_new_tokens)

    def _rag(self, question: str, streamer: Any | None = None) -> ModeResult:
        assert self.retrieval is not None
        started = time.perf_counter()
        retrieved = retrieve_passages(self.retrieval, question)
        answer = self._ask(
            question,
            context="passages" if retrieved.passages else "none",
            passages=retrieved.passages,
            use_memory=False,
            streamer=streamer,
        )
        arm = ArmResult.from_answer(
            "retrieval", answer, similarity=retrieved.best_similarity, sources=retrieved.sources
        )
        result = _from_arm("rag", arm, time.perf_counter() - started)
        return _counted(result, answer, self.max_new_tokens)

    # --- the router: memory and retrieval arms together, then its policy
    def _router_modes(self, question: str, modes: list[str]) -> dict[str, ModeResult]:
        assert self._router is not None
        started = time.perf_counter()
        selection, evidence, _nodes = self._router.route(question)
        total = time.perf_counter() - started
        memory_s = evidence.memory.latency_s
        combined_s = evidence.combined.latency_s if evidence.combined is not None else 0.0
        rag_s = max(total - memory_s - combined_s, evidence.retrieval.latency_s)
        arms = {"memory": evidence.memory, "retrieval": evidence.retrieval}
        latencies = {"memory": memory_s, "retrieval": rag_s}
        if evidence.combined is not None:
            arms["combined"] = evidence.combined
            latencies["combined"] = combined_s
        results: dict[str, ModeResult] = {}
        if "memory" in modes:
            results["memory"] = _from_arm("memory", evidence.memory, memory_s)
        if "rag" in modes:
            results["rag"] = _from_arm("rag", evidence.retrieval, rag_s)
        if "hybrid" in modes:
            chosen = arms[selection.chosen]
            hybrid = _from_arm("hybrid", chosen, total)
            hybrid.mean_gate = chosen.mean_gate
            hybrid.similarity = evidence.retrieval.similarity
            hybrid.sources = list(evidence.retrieval.sources)
            hybrid.chosen = selection.chosen
            hybrid.reason = selection.reason
            hybrid.policy = self._router.policy.name
            hybrid.agreement = evidence.agreement
            hybrid.route = evidence.relevance.model_dump() if evidence.relevance else None
            hybrid.arms = {name: _arm_json(arm, latencies[name]) for name, arm in arms.items()}
            self._count_routed(hybrid, question)
            results["hybrid"] = hybrid
        return results

    def _count_routed(self, result: ModeResult, question: str) -> None:
        """Token counts of a routed answer, which the router's arms do not report: the question's
        prompt and the chosen answer, counted again by the tokenizer."""
        tokenizer = self.memory.loaded.tokenizer
        result.prompt_tokens = len(
            conversation_ids(tokenizer, (), question_prompt(question), budget=10**9)
        )
        result.completion_tokens = len(
            tokenizer(result.answer, add_special_tokens=False)["input_ids"]
        )
        result.hit_token_limit = result.completion_tokens >= self.max_new_tokens


@contextlib.contextmanager
def answering(opened: OpenedMemory, **options: Any) -> Iterator[Answerer]:
    """An :class:`Answerer` (``options``: its keyword arguments) over a memory that `ask` or
    `compare` opened; the memory's adapter comes off its model when the block ends."""
    try:
        yield Answerer(opened.memory, opened.retrieval, **options)
    finally:
        opened.memory.detach()


def answer_with_base_model(
    loaded: LoadedModel,
    question: str,
    *,
    max_new_tokens: int,
    streamer: Any | None = None,
    conversation: Sequence[Turn] | None = None,
) -> ModeResult:
    """Mode ``base`` without a memory: the server's own base model, asked as itself."""
    if conversation is None:
        answer = generate_answer(loaded, question, max_new_tokens=max_new_tokens, streamer=streamer)
    else:
        answer = generate_in_conversation(
            loaded,
            conversation,
            question_prompt(question),
            max_new_tokens=max_new_tokens,
            streamer=streamer,
        )
    result = ModeResult(
        mode="base",
        answer=answer.text,
        latency_s=answer.latency_s,
        confidence=math.exp(answer.mean_logprob),
        mean_logprob=answer.mean_logprob,
    )
    return _counted(result, answer, max_new_tokens)
