"""The five ways `ask` and `compare` answer a question, all on the memory's own base model:

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

MODES = ("memory", "rag", "hybrid", "icl", "base")
RETRIEVAL_MODES = frozenset({"rag", "hybrid"})
POLICIES = ("confidence", "retrieval-first", "combine")


def parse_modes(text: str) -> list[str]:
    """'memory,rag' → ['memory', 'rag'] (validated, duplicates dropped, order kept)."""
    return parse_choices(text, MODES, "mode")
