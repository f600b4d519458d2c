"""The five ways `ask` and `compare` answer a question, all on the memory's own base model:

- ``memory``: the memory attached, no context — what the weights know (parametric recall);
- ``rag``: the memory switched off, the Chroma arm's retrieved chunks in context (classic RAG);
- ``hybrid``: both, then the LlamaIndex ``HybridRouterQueryEngine``'s policy picks one answer;
- ``icl``: the memory off, the corpus cut to the model's short window (head + tail) in context;
- ``base``: the memory off, no context — what the base model knew before.

``hybrid`` reuses the memory and rag arms' answers when they are asked in the same run, as the
router itself computes exactly those two (same prompts, greedy decoding).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lift_memory_cli.errors import CliError

if TYPE_CHECKING:
    from llama_index.memory.lift import ArmResult, ChromaRetrievalArm, SelectionPolicy

    from lift_memory import LiftMemory

MODES = ("memory", "rag", "hybrid", "icl", "base")
RETRIEVAL_MODES = frozenset({"rag", "hybrid"})
POLICIES = ("confidence", "retrieval-first", "combine")


def parse_modes(text: str) -> list[str]:
    """'memory,rag' → ['memory', 'rag'] (validated, duplicates dropped, order kept)."""
    modes: list[str] = []
    for part in text.split(","):
        mode = part.strip().lower()
        if not mode:
            continue
        if mode not in MODES:
            raise CliError(f"unknown mode '{mode}'; choose from {', '.join(MODES)}")
        if mode not in modes:
            modes.append(mode)
    if not modes:
        raise CliError(f"no mode given; choose from {', '.join(MODES)}")
    return modes


def make_policy(name: str) -> SelectionPolicy:
    from llama_index.memory.lift import AlwaysCombinePolicy, ConfidencePolicy, RetrievalFirstPolicy

    if name == "confidence":
        return ConfidencePolicy()
    if name == "retrieval-first":
        return RetrievalFirstPolicy()
    if name == "combine":
        return AlwaysCombinePolicy()
    raise CliError(f"unknown policy '{name}'; choose from {', '.join(POLICIES)}")


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


class Answerer:
    """Answers questions in any of :data:`MODES` for one opened memory."""

    def __init__(
        self,
        memory: LiftMemory,
        retrieval: ChromaRetrievalArm | None = None,
        *,
        policy: str = "confidence",
        max_new_tokens: int = 48,
        top_k: int | None = None,
    ) -> None:
        self.memory = memory
        self.retrieval = retrieval
        self.max_new_tokens = max_new_tokens
        self._router = None
        if retrieval is not None:
            from llama_index.memory.lift import HybridRouterQueryEngine

            if top_k:
                retrieval.similarity_top_k = top_k
            self._router = HybridRouterQueryEngine(
                memory, retrieval, policy=make_policy(policy), max_new_tokens=max_new_tokens
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
            raise CliError("streaming answers one mode at a time, and not hybrid")
        if RETRIEVAL_MODES & set(modes) and self._router is None:
            raise CliError("rag and hybrid modes need the memory's retrieval arm")
        results: dict[str, ModeResult] = {}
        if "hybrid" in modes or {"memory", "rag"} <= set(modes):
            results.update(self._router_modes(question, modes))
        for mode in modes:
            if mode not in results:
                results[mode] = self._single(question, mode, streamer)
        return {mode: results[mode] for mode in modes}

    # --- one arm at a time
    def _ask(self, question: str, **kwargs: Any) -> Any:
        from llama_index.memory.lift.arms import ask_memory

        return ask_memory(self.memory, question, max_new_tokens=self.max_new_tokens, **kwargs)

    def _single(self, question: str, mode: str, streamer: Any | None = None) -> ModeResult:
        from llama_index.memory.lift import ArmResult

        if mode == "memory":
            answer = self._ask(question, streamer=streamer)
            return _from_arm(mode, ArmResult.from_answer("memory", answer), answer.latency_s)
        if mode in ("base", "icl"):  # the memory switched off; icl sees the truncated corpus
            context = "truncated" if mode == "icl" else "none"
            answer = self._ask(question, context=context, use_memory=False, streamer=streamer)
            return _from_arm(mode, ArmResult.from_answer("memory", answer), answer.latency_s)
        if mode == "rag":
            return self._rag(question, streamer)
        raise CliError(f"unknown mode '{mode}'")

    def _rag(self, question: str, streamer: Any | None = None) -> ModeResult:
        from llama_index.memory.lift import ArmResult
        from llama_index.memory.lift.arms import source_record
        from llama_index.memory.lift.retrieval import passage_text

        assert self.retrieval is not None
        started = time.perf_counter()
        nodes = self.retrieval.retrieve(question)
        passages = [passage_text(node) for node in nodes]
        similarities = [self.retrieval.cosine_similarity(node) for node in nodes]
        sources = [
            source_record(node, similarity, text)
            for node, similarity, text in zip(nodes, similarities, passages, strict=True)
        ]
        answer = self._ask(
            question,
            context="passages" if passages else "none",
            passages=passages,
            use_memory=False,
            streamer=streamer,
        )
        arm = ArmResult.from_answer(
            "retrieval",
            answer,
            similarity=max(similarities) if similarities else None,
            sources=sources,
        )
        return _from_arm("rag", arm, time.perf_counter() - started)

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
            hybrid.arms = {name: _arm_json(arm, latencies[name]) for name, arm in arms.items()}
            results["hybrid"] = hybrid
        return results
