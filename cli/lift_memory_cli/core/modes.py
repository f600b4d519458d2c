"""The six ways `ask` and `compare` answer a question, all on the memory's own base model:

- ``auto`` (the default): the memory for questions about its corpus, the base model — memory
  off, its answer exactly — for the rest, by the relevance threshold calibrated at ingest
  (:mod:`lift_memory_cli.core.routing`); a memory without a calibration answers as ``memory``;
- ``memory``: the memory attached, no context — what the weights know (parametric recall);
- ``rag``: the memory switched off, the Chroma arm's retrieved chunks in context (classic RAG);
- ``hybrid``: both, then the LlamaIndex ``HybridRouterQueryEngine``'s policy picks one answer;
- ``icl``: the memory off, the corpus cut to the model's short window (head + tail) in context;
- ``base``: the memory off, no context — what the base model knew before.

``hybrid`` reuses the memory and rag arms' answers when they are asked in the same run, as the
router itself computes exactly those two (same prompts, greedy decoding). The answering is
:class:`lift_memory_cli.core.answerer.Answerer`; this module only names the modes.
"""

from __future__ import annotations

from lift_memory_cli.core.choices import parse_choices

MODES = ("auto", "memory", "rag", "hybrid", "icl", "base")
DEFAULT_MODE = "auto"
RETRIEVAL_MODES = frozenset({"rag", "hybrid"})
POLICIES = ("calibrated", "confidence", "retrieval-first", "combine")
DEFAULT_POLICY = "calibrated"
SCALINGS = ("hard", "soft")
DEFAULT_SCALING = "hard"


def parse_modes(text: str) -> list[str]:
    """'memory,rag' → ['memory', 'rag'] (validated, duplicates dropped, order kept)."""
    return parse_choices(text, MODES, "mode")
