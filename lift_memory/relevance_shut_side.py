"""The questions a fitted relevance gate learns to shut on (docs/lift.md §2).

Fitted on a memory's training questions against its retention prompts alone, the gate's read
learned what those two sides differ by: the look of a question about invented names in the
corpus's frames against everyday requests. It opened on a third of the bench's generic probes
and on most questions about a corpus the memory never saw (docs/benchmarks.md, twenty-first and
twenty-second sessions). Two more kinds of shut question make the sides differ by what is asked
instead, at no cost in hand-written data:

- the fact generator's own questions about the bundled retention passages: the corpus's question
  frames, asked about everyday prose (``LoraSettings.relevance_passage_questions``);
- user turns the base model writes itself (``self_prompts.py``), half of them opened with a
  question word: a broad sample of what the model is asked (``relevance_self_questions``).

They only shut the gate: nothing here is trained as an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lift_memory.base_writing import Written, kept_user_turns
from lift_memory.config import LoraSettings
from lift_memory.models import LoadedModel
from lift_memory.qa.fact_generator import FactQAGenerator
from lift_memory.retention import GENERIC_PASSAGES


def passage_questions() -> list[str]:
    """The fact generator's questions about every bundled retention passage, in a fixed order."""
    generator = FactQAGenerator()
    asked = {
        pair.question for passage in GENERIC_PASSAGES for pair in generator.generate(passage, 0)
    }
    return sorted(asked)


def extra_shut_questions(
    loaded: LoadedModel,
    settings: LoraSettings,
    *,
    seed: int = 0,
    home: Path | None = None,
    announce: Callable[[], None] | None = None,
) -> Written[list[str]]:
    """The shut questions ``settings`` ask for beside a memory's retention prompts. Call with
    no memory attached, or with it switched off: the base model writes its own turns (kept in
    ``home``'s cache for the next memory of this model, ``base_writing.py``; ``announce`` is
    called before they are written; the seconds are the turns')."""
    extra = passage_questions() if settings.relevance_passage_questions else []
    turns = kept_user_turns(loaded, settings.relevance_self_questions, seed, home, announce)
    return Written(extra + turns.value, turns.seconds, turns.kept)
