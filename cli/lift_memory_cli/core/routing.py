"""Relevance routing as the commands and the server see it: what a manifest records (its
``extra["routing"]``), which modes need the retrieval arm, and the lines `info` shows.

Light on purpose (no torch, no LlamaIndex): `info` imports it. The calibration itself is
:mod:`lift_memory_cli.core.routing_calibration`; the decisions are the integration's
:class:`~llama_index.memory.lift.RelevanceRouter`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lift_memory_cli.core.modes import RETRIEVAL_MODES
from lift_memory_cli.core.rag_arm import rag_info

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lift_memory.manifest import Manifest

ROUTING_KEY = "routing"


def routing_info(manifest: Manifest) -> dict[str, Any] | None:
    """The routing calibration recorded at ingest; None if the memory has none."""
    info = manifest.extra.get(ROUTING_KEY)
    return info if isinstance(info, dict) and "threshold" in info else None


def routing_is_current(manifest: Manifest) -> bool:
    """Whether the memory has a calibration made with this version's relevance rule (an older
    one still routes, with a threshold set on other features; `ingest --resume` redoes it)."""
    from llama_index.memory.lift.relevance_rule import is_current  # light, but the integration's

    info = routing_info(manifest)
    return info is not None and is_current(info)


def needs_retrieval(manifest: Manifest, modes: Iterable[str]) -> bool:
    """Whether answering in ``modes`` opens the memory's Chroma arm: rag and hybrid always,
    auto when the memory has a calibration to score questions with (and the arm it needs)."""
    modes = set(modes)
    if RETRIEVAL_MODES & modes:
        return True
    return "auto" in modes and routing_info(manifest) is not None and rag_info(manifest) is not None


def routing_lines(info: dict[str, Any] | None) -> list[str]:
    """What `info` prints about routing: the rule, the separation, the hybrid's measurements."""
    from llama_index.memory.lift.relevance_rule import (  # light, but the integration's
        RELEVANCE_RULE_VERSION,
        calibrated_rule,
        is_current,
    )

    if info is None:
        return ["none (auto mode answers with the memory; `ingest --resume` adds it)"]
    auc = info.get("auc")
    shown_auc = "-" if auc is None else f"{auc:.3f}"
    lines = [
        f"{info['score_kind']} >= {info['threshold']:.3f} → memory, else the base model",
        f"ROC AUC {shown_auc} (in scope vs out of scope); routed to the memory: "
        f"{info['in_scope_rate']:.0%} of {info['in_scope_count']} in scope, "
        f"{info['out_of_scope_rate']:.0%} of {info['out_of_scope_count']} out of scope",
    ]
    if not is_current(info):
        lines.append(
            f"calibrated with relevance rule {calibrated_rule(info)}, this version scores with "
            f"rule {RELEVANCE_RULE_VERSION}: `ingest --resume` recalibrates"
        )
    sources = info.get("out_of_scope_sources") or {}
    if sources:
        lines.append("out of scope: " + ", ".join(f"{k} {v}" for k, v in sources.items()))
    others = {k: v for k, v in (info.get("auc_by_kind") or {}).items() if v is not None}
    if len(others) > 1:
        lines.append("AUC by score: " + ", ".join(f"{k} {v:.3f}" for k, v in others.items()))
    hybrid = info.get("hybrid")
    if isinstance(hybrid, dict) and isinstance(hybrid.get("arms"), dict):
        rates = []
        for name, arm in hybrid["arms"].items():
            total = sum(arm.get("total", []))
            right = sum(arm.get("correct", []))
            rates.append(f"{name} {right}/{total}")
        lines.append(
            f"hybrid arms right on {hybrid.get('questions', 0)} training questions: "
            + ", ".join(rates)
        )
    return lines
