"""`lift-memory compare`: every question answered in every mode, scored against its gold answers
(the answer contains one, normalized: ``lift_memory.scoring.contains_gold``), and the report that
``--json`` prints and ``--report DIR`` writes (:mod:`lift_memory_cli.core.compare_report`)."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from lift_memory.manifest import utc_now_iso
from lift_memory.scoring import contains_gold
from lift_memory_cli.core.errors import ServiceError
from lift_memory_cli.core.modes import RETRIEVAL_MODES
from lift_memory_cli.core.rag_arm import rag_info

if TYPE_CHECKING:
    from lift_memory.manifest import Manifest
    from lift_memory_cli.core.answerer import Answerer
    from lift_memory_cli.core.questions import Question


def answerable_modes(manifest: Manifest, modes: list[str]) -> tuple[list[str], list[str]]:
    """(the modes the memory can answer in, those dropped because it has no retrieval arm)."""
    if rag_info(manifest) is not None or not RETRIEVAL_MODES & set(modes):
        return modes, []
    kept = [m for m in modes if m not in RETRIEVAL_MODES]
    if not kept:
        raise ServiceError(
            f"memory '{manifest.name}' has no retrieval arm (ingested with --no-rag); "
            "compare it with --modes memory,icl,base"
        )
    return kept, [m for m in modes if m in RETRIEVAL_MODES]


def compare_row(answerer: Answerer, item: Question, modes: list[str]) -> dict[str, Any]:
    """One question's answers in every mode, each marked ``correct`` (None without gold)."""
    results = {}
    for mode, result in answerer.answer(item.question, modes).items():
        cell = result.to_json()
        cell["correct"] = contains_gold(result.answer, item.answers)
        results[mode] = cell
    return {"question": item.question, "gold": item.answers, "results": results}


def summarize(rows: list[dict[str, Any]], modes: list[str]) -> dict[str, dict[str, Any]]:
    """Per mode: answered, scored, correct, accuracy, mean / p50 / max latency."""
    result: dict[str, dict[str, Any]] = {}
    for mode in modes:
        cells = [row["results"][mode] for row in rows if mode in row["results"]]
        scored = [c for c in cells if c.get("correct") is not None]
        correct = sum(1 for c in scored if c["correct"])
        latencies = [c["latency_s"] for c in cells]
        result[mode] = {
            "answered": len(cells),
            "scored": len(scored),
            "correct": correct,
            "accuracy": correct / len(scored) if scored else None,
            "mean_latency_s": statistics.fmean(latencies) if latencies else None,
            "p50_latency_s": statistics.median(latencies) if latencies else None,
            "max_latency_s": max(latencies) if latencies else None,
        }
    return result


def comparison_report(
    manifest: Manifest, modes: list[str], policy: str, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """The whole comparison: what was compared, the summary per mode, every answer."""
    return {
        "memory": manifest.name,
        "model": manifest.base_model,
        "corpus_tokens": sum(d.tokens for d in manifest.documents),
        "created_at": utc_now_iso(),
        "modes": modes,
        "policy": policy,
        "summary": summarize(rows, modes),
        "questions": rows,
    }
