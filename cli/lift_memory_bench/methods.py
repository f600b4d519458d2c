"""The methods compared side by side, all on the same base model and the same corpus.

A method prepares once (train, index, or nothing), then answers each question with greedy
decoding. Its :class:`Reply` also says how it answered (which context, memory on or off), so
the multiple-choice options are scored under exactly that setting.

| method       | knowledge from                              | context in the prompt          |
|--------------|---------------------------------------------|--------------------------------|
| base         | the base model alone                        | none (closed book)             |
| icl-trunc    | the corpus, cut to the window (head + tail) | truncated corpus               |
| icl-full     | the whole corpus, where the model's positions allow it (an upper bound) |
| rag          | Chroma top-k chunks (LlamaIndex)            | retrieved passages (≤ window)  |
| lift         | the Gated Memory trained with LIFT          | none                           |
| lift-icl     | the Gated Memory + the truncated corpus     | truncated corpus               |
| hybrid       | the HybridRouterQueryEngine picks lift, rag or both (combined) per question |
| lora / pissa | a PEFT adapter trained with the same LIFT recipe, matched parameters    |
| lift-no-qa   | LIFT without auxiliary QA (ablation)        | none                           |
| lift-no-ctx  | LIFT without contextualized training        | none                           |
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from lift_memory.adapters import Adapter
from lift_memory.answer import generate_answer, passages_context
from lift_memory.memory import LiftMemory
from lift_memory.models import LoadedModel
from lift_memory_bench.env import BenchEnv
from lift_memory_bench.names import METHOD_DESCRIPTIONS, MethodName
from lift_memory_bench.variants import Variant

# prompt overhead (chat template, question, answer) on top of the context, for "does it fit"
_PROMPT_RESERVE = 160


@dataclass(frozen=True)
class Reply:
    """A method's answer and the setting it answered in."""

    text: str
    latency_s: float
    context: str | None
    use_memory: bool
    chosen: str | None = None  # the hybrid router's arm
    arms: dict[str, str] | None = None  # every arm's answer, where the router ran several
    # the generation stopped at the profile's max_new_tokens, not at the end of its answer;
    # None where the method does not know (the hybrid's arms generate inside the router)
    cut_off: bool | None = None


@dataclass
class MethodCosts:
    """What preparing a method cost (ask latency is measured per question by the runner)."""

    ingest_s: float = 0.0
    train_tokens: int = 0
    trainable_params: int = 0
    adapter_bytes: int = 0
    index_bytes: int = 0
    reused: bool = False
    details: dict[str, Any] = field(default_factory=dict)


class Method(ABC):
    name: ClassVar[MethodName]
    # General-capability retention compares answers with and without a memory attached, so
    # only methods with a memory are probed ("ask"); the base model's closed-book answers are
    # the reference itself; context-only methods have nothing attached to measure.
    retention_probe: ClassVar[Literal["ask", "reference", "none"]] = "none"

    def __init__(self, env: BenchEnv) -> None:
        self.env = env
        self.loaded: LoadedModel | None = None
        self.adapter: Adapter | None = None

    @property
    def description(self) -> str:
        return METHOD_DESCRIPTIONS[self.name]

    def skip_reason(self) -> str | None:
        """Why this method cannot run here (checked before ``setup``), or None."""
        return None

    def setup(self) -> MethodCosts:
        self.loaded = self.env.model()
        return MethodCosts()

    @abstractmethod
    def reply(self, question: str) -> Reply: ...

    def teardown(self) -> None:
        self.loaded = None
        self.adapter = None

    def _generate(self, question: str, context: str | None, use_memory: bool) -> Reply:
        assert self.loaded is not None, "setup() first"
        answer = generate_answer(
            self.loaded,
            question,
            adapter=self.adapter,
            context=context,
            use_memory=use_memory,
            max_new_tokens=self.env.profile.max_new_tokens,
        )
        cut_off = answer.generated_tokens >= self.env.profile.max_new_tokens
        return Reply(answer.text, answer.latency_s, context, use_memory, cut_off=cut_off)


class BaseMethod(Method):
    name = "base"
    retention_probe = "reference"

    def reply(self, question: str) -> Reply:
        return self._generate(question, None, use_memory=False)


class TruncatedIcl(Method):
    name = "icl-trunc"

    def reply(self, question: str) -> Reply:
        return self._generate(question, self.env.truncated(), use_memory=False)


class FullIcl(Method):
    name = "icl-full"

    def skip_reason(self) -> str | None:
        needed = self.env.corpus_tokens + _PROMPT_RESERVE + self.env.profile.max_new_tokens
        if self.env.max_positions and needed > self.env.max_positions:
            return (
                f"the corpus ({self.env.corpus_tokens:,} tokens) does not fit the model's "
                f"{self.env.max_positions:,} positions"
            )
        return None

    def reply(self, question: str) -> Reply:
        return self._generate(question, self.env.corpus.text, use_memory=False)


class Rag(Method):
    name = "rag"

    def setup(self) -> MethodCosts:
        super().setup()
        self.arm, index = self.env.retrieval()
        return MethodCosts(
            ingest_s=index.build_s,
            index_bytes=index.index_bytes,
            details={"chunks": index.chunks, "top_k": self.env.profile.rag_top_k},
        )

    def reply(self, question: str) -> Reply:
        from llama_index.memory.lift.retrieval import passage_text

        started = time.perf_counter()
        passages = [passage_text(node) for node in self.arm.retrieve(question)]
        context = self.env.fit_window(passages_context(passages)) if passages else None
        reply = self._generate(question, context, use_memory=False)
        latency = time.perf_counter() - started
        return Reply(reply.text, latency, context, False, cut_off=reply.cut_off)


class MemoryMethod(Method):
    """A trained adapter attached, with no context or the truncated corpus."""

    variant: ClassVar[Variant] = "lift"
    with_truncated_context: ClassVar[bool] = False
    retention_probe = "ask"

    def setup(self) -> MethodCosts:
        self.record = self.env.train(self.variant)
        self.memory: LiftMemory = self.env.open_variant(self.variant)
        self.loaded, self.adapter = self.memory.loaded, self.memory.adapter
        return MethodCosts(
            ingest_s=self.record.ingest_s,
            train_tokens=self.record.train_tokens,
            trainable_params=sum(p.numel() for p in self.memory.adapter.parameters()),
            adapter_bytes=self.record.adapter_bytes,
            reused=self.record.reused,
            details={
                "memory": self.record.name,
                "adapter": self.memory.adapter.kind,
                "train_s": self.record.train_s,
                "qa_pairs": self.record.qa_count,
                "final_loss": self.record.final_loss,
                "facts_learned": self.record.facts_learned,
                "facts_total": self.record.facts_total,
                "train_tokens_per_corpus_token": self.record.train_tokens_per_corpus_token,
                "epochs_run": self.record.epochs_run,
                "learning_curve": self.record.learning_curve,
            },
        )

    def reply(self, question: str) -> Reply:
        context = self.env.truncated() if self.with_truncated_context else None
        return self._generate(question, context, use_memory=True)

    def teardown(self) -> None:
        self.env.close_variant(self.memory)
        super().teardown()


class Lift(MemoryMethod):
    name = "lift"


class LiftIcl(MemoryMethod):
    name = "lift-icl"
    with_truncated_context = True
    retention_probe = "none"  # the same memory as `lift`, probed there


class Lora(MemoryMethod):
    name = "lora"
    variant = "lora"


class Pissa(MemoryMethod):
    name = "pissa"
    variant = "pissa"


class LiftNoQa(MemoryMethod):
    name = "lift-no-qa"
    variant = "lift-no-qa"


class LiftNoCtx(MemoryMethod):
    name = "lift-no-ctx"
    variant = "lift-no-ctx"


class Hybrid(MemoryMethod):
    """The LlamaIndex HybridRouterQueryEngine over the profile's routed memory (``lift`` or a
    PEFT arm, ``BenchProfile.routed_memory``) and the Chroma index."""

    name = "hybrid"

    def setup(self) -> MethodCosts:
        self.variant = self.env.profile.routed_memory
        from lift_memory_cli.core.answerer import make_policy
        from llama_index.memory.lift import HybridRouterQueryEngine, RelevanceRouter
        from llama_index.memory.lift.calibrated_policy import hybrid_calibration_of
        from llama_index.memory.lift.routing import calibration_from

        costs = super().setup()
        arm, index = self.env.retrieval()
        # the calibration the memory's ingest records, on this run's index: the relevance
        # decision in the evidence, and the arms' measured reliability for the calibrated policy
        routing = self.env.routing(self.variant, self.memory)
        relevance = RelevanceRouter(self.memory, arm, calibration_from(routing))
        policy = make_policy(
            self.env.profile.hybrid_policy, calibration=hybrid_calibration_of(routing)
        )
        self.router = HybridRouterQueryEngine(
            self.memory,
            arm,
            router=relevance,
            policy=policy,
            max_new_tokens=self.env.profile.max_new_tokens,
        )
        costs.ingest_s += index.build_s
        costs.index_bytes = index.index_bytes
        costs.details.update(chunks=index.chunks, policy=policy.name)
        return costs

    def reply(self, question: str) -> Reply:
        started = time.perf_counter()
        selection, evidence, _nodes = self.router.route(question)
        latency = time.perf_counter() - started
        arms = {"memory": evidence.memory.answer, "retrieval": evidence.retrieval.answer}
        if evidence.combined is not None:
            arms["combined"] = evidence.combined.answer
        if selection.chosen == "memory":
            return Reply(evidence.memory.answer, latency, None, True, "memory", arms)
        arm = evidence.combined if selection.chosen == "combined" else evidence.retrieval
        assert arm is not None
        passages = [source["text"] for source in arm.sources]
        context = passages_context(passages) if passages else None
        use_memory = selection.chosen == "combined"
        return Reply(arm.answer, latency, context, use_memory, selection.chosen, arms)


METHOD_CLASSES: dict[MethodName, type[Method]] = {
    cls.name: cls
    for cls in (
        BaseMethod,
        TruncatedIcl,
        FullIcl,
        Rag,
        Lift,
        LiftIcl,
        Hybrid,
        Lora,
        Pissa,
        LiftNoQa,
        LiftNoCtx,
    )
}
