"""The retention benchmark: does the memory speak only when spoken to?

For the profile's routed memory (``BenchProfile.routed_memory``), on the run's Chroma index and
the routing calibration its ingest records (``BenchEnv.routing``):

- **out of scope**: the probes of ``retention_probes.py`` (>= 200 in the full and quality
  profiles), each answered by the base model (memory off), with the memory forced on, and in
  ``auto`` mode — hard switch and soft gate scaling. Scored by agreement with the base model's
  own answer (identical text: the bar; exact match and token F1 after normalisation,
  ``lift_memory.scoring``) and by accuracy against the gold answers (contains).
- **in scope**: the share of the corpus questions routed to the memory (per task), and their
  accuracy (contains) in ``auto`` against forced memory mode.
- **unrelated text**: the route each unrelated text (``unrelated_texts.py``) takes, and its
  perplexity ratio in ``auto`` mode (1.0 where it is routed to the base model).

An ``auto`` answer routed to the base model *is* the base model's answer (the base route is
the memory switched off, bit-identical: tests/test_routing.py), one routed to the memory the
forced-memory answer; so those are reused, and the first :data:`VERIFIED` probes are answered
through the auto path itself and compared (``verified``). A soft scale strictly between 0 and 1
is generated with the scaled gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.memory.lift import RelevanceRouter, RoutingCalibration
from llama_index.memory.lift.routing import RouteDecision, gate_scaled, routed

from lift_memory.answer import generate_answer
from lift_memory.memory import LiftMemory
from lift_memory.scoring import contains_gold, exact_match, token_f1
from lift_memory_bench.metrics import mean, question_scores
from lift_memory_bench.retention_probes import RetentionProbe
from lift_memory_bench.tasks.question import BenchQuestion
from lift_memory_bench.unrelated_texts import UNRELATED_TEXTS

VERIFIED = 8


@dataclass(frozen=True)
class CorpusAnswers:
    """One corpus question with the memory method's answer and the base model's (if known)."""

    question: BenchQuestion
    memory: str
    base: str | None


def agreement(
    answers: Sequence[str], base: Sequence[str], probes: Sequence[RetentionProbe]
) -> dict[str, float | None]:
    """How answers compare with the base model's own and with the probes' gold answers."""
    pairs = list(zip(answers, base, probes, strict=True))
    return {
        "identical_to_base": mean(float(a == b) for a, b, _ in pairs),
        "exact": mean(exact_match(a, [b]) if b.strip() else None for a, b, _ in pairs),
        "f1": mean(token_f1(a, [b]) if b.strip() else None for a, b, _ in pairs),
        "accuracy": mean(float(bool(contains_gold(a, list(p.answers)))) for a, _, p in pairs),
    }


class RoutingBench:
    """Answers with one memory in every way the benchmark compares."""

    def __init__(
        self,
        memory: LiftMemory,
        retrieval: Any,
        calibration: RoutingCalibration,
        max_new_tokens: int,
    ) -> None:
        self.memory = memory
        self.hard = RelevanceRouter(memory, retrieval, calibration)
        self.soft = RelevanceRouter(memory, retrieval, calibration, scaling="soft")
        self.calibration = calibration
        self.max_new_tokens = max_new_tokens

    def answer(self, question: str, *, use_memory: bool, scale: float = 1.0) -> str:
        """The greedy answer, memory on (its gate times ``scale``) or off."""
        memory = self.memory
        with gate_scaled(memory.adapter, scale if use_memory else 1.0):
            return generate_answer(
                memory.loaded,
                question,
                adapter=memory.adapter,
                use_memory=use_memory,
                max_new_tokens=self.max_new_tokens,
            ).text

    def through_auto(self, question: str) -> str:
        """The auto path itself: decide, then answer under the decision."""
        decision = self.hard.decide(question)
        with routed(self.memory.adapter, decision) as use_memory:
            return self.answer(question, use_memory=use_memory)

    def by_route(self, question: str, decision: RouteDecision, memory: str, base: str) -> str:
        """The answer ``decision`` gives: the base or memory answer, or a scaled-gate one."""
        if not decision.use_memory:
            return base
        if decision.gate_scale >= 1.0:
            return memory
        return self.answer(question, use_memory=True, scale=decision.gate_scale)


def probe_base_answers(memory: LiftMemory, probes: Sequence[RetentionProbe], tokens: int):
    """The base model's answers to the probes (the memory switched off: the bare model's)."""
    return [
        generate_answer(
            memory.loaded,
            probe.question,
            adapter=memory.adapter,
            use_memory=False,
            max_new_tokens=tokens,
        ).text
        for probe in probes
    ]


def _decision_row(decision: RouteDecision) -> dict[str, Any]:
    return {"route": decision.route, "score": decision.score, "gate_scale": decision.gate_scale}


def out_of_scope(
    bench: RoutingBench, probes: Sequence[RetentionProbe], base: Sequence[str]
) -> dict[str, Any]:
    rows = []
    for probe, base_answer in zip(probes, base, strict=True):
        question = probe.question
        memory = bench.answer(question, use_memory=True)
        hard, soft = bench.hard.decide(question), bench.soft.decide(question)
        rows.append(
            {
                "question": question,
                "source": probe.source,
                "gold": list(probe.answers),
                "base": base_answer,
                "memory": memory,
                "auto": bench.by_route(question, hard, memory, base_answer),
                "soft": bench.by_route(question, soft, memory, base_answer),
                "route": _decision_row(hard),
                "soft_route": _decision_row(soft),
            }
        )
    checked = rows[:VERIFIED]
    verified = sum(bench.through_auto(row["question"]) == row["auto"] for row in checked)
    sources: dict[str, int] = {}
    for probe in probes:
        kind = probe.source.split(":")[0]
        sources[kind] = sources.get(kind, 0) + 1

    def compared(side: str) -> dict[str, float | None]:
        return agreement([row[side] for row in rows], base, probes)

    return {
        "count": len(probes),
        "sources": sources,
        "routed_to_memory": mean(float(row["route"]["gate_scale"] > 0) for row in rows),
        "soft_scaled": mean(float(0 < row["soft_route"]["gate_scale"] < 1) for row in rows),
        "base": {"accuracy": compared("base")["accuracy"]},
        "memory": compared("memory"),
        "auto": compared("auto"),
        "soft": compared("soft"),
        "verified": {"checked": len(checked), "identical": verified},
        "answers": rows,
    }


def in_scope(bench: RoutingBench, rows: Sequence[CorpusAnswers]) -> dict[str, Any]:
    routes = []
    for row in rows:
        question = row.question.question
        hard, soft = bench.hard.decide(question), bench.soft.decide(question)
        base = row.base
        if base is None and not (hard.use_memory and soft.gate_scale >= 1.0):
            base = bench.answer(question, use_memory=False)
        auto = bench.by_route(question, hard, row.memory, base or "")
        softly = bench.by_route(question, soft, row.memory, base or "")
        routes.append((row, hard, auto, softly))

    def contains(answer: str, question: BenchQuestion) -> float | None:
        score = question_scores(answer, question)["contains"]
        return None if score is None else float(score)

    tasks = sorted({row.question.task for row in rows})
    return {
        "count": len(rows),
        "routed_to_memory": mean(float(d.use_memory) for _, d, _, _ in routes),
        "routed_by_task": {
            task: mean(float(d.use_memory) for r, d, _, _ in routes if r.question.task == task)
            for task in tasks
        },
        "contains": {
            "memory": mean(contains(r.memory, r.question) for r, _, _, _ in routes),
            "auto": mean(contains(a, r.question) for r, _, a, _ in routes),
            "soft": mean(contains(s, r.question) for r, _, _, s in routes),
        },
        "routes": [
            {"id": r.question.id, "task": r.question.task, **_decision_row(d)}
            for r, d, _, _ in routes
        ],
    }


def unrelated_texts(
    bench: RoutingBench, with_memory: dict[str, float], base: dict[str, float]
) -> dict[str, Any]:
    """Each unrelated text's route, and the perplexity ratio auto mode leaves it with."""
    routes = {genre: bench.hard.decide(text) for genre, text in UNRELATED_TEXTS.items()}
    ratios = {
        genre: (with_memory[genre] if decision.use_memory else base[genre]) / base[genre]
        for genre, decision in routes.items()
    }
    return {
        "routed_to_memory": mean(float(d.use_memory) for d in routes.values()),
        "auto_perplexity_ratio": mean(ratios.values()),
        "by_text": {
            genre: {"route": routes[genre].route, "auto_ratio": ratios[genre]} for genre in routes
        },
    }


def routing_benchmark(
    bench: RoutingBench,
    probes: Sequence[RetentionProbe],
    probe_base: Sequence[str],
    rows: Sequence[CorpusAnswers],
) -> dict[str, Any]:
    """The retention benchmark's figures for one memory (module doc)."""
    calibration = bench.calibration.model_dump(mode="json")
    return {
        "calibration": calibration,
        "out_of_scope": out_of_scope(bench, probes, probe_base),
        "in_scope": in_scope(bench, rows),
    }
