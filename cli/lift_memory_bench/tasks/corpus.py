"""The one corpus every method trains on, assembled from every task family's text.

One run builds ONE corpus that holds every task's text, so each trained method trains once;
each question carries the task it belongs to. Each task family (invented facts, needle haystack,
HotpotQA paragraphs) is cut into ``SECTIONS`` stretches that are interleaved through the corpus,
so every part of the corpus — including the head and tail that truncated ICL sees — holds a
proportionate share of every task. Hop-1 facts of multi-hop questions lie in the first half,
hop-2 facts in the second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from lift_memory.documents import Document
from lift_memory_bench.names import TASKS, TaskName
from lift_memory_bench.tasks.fiction import generate_fiction
from lift_memory_bench.tasks.hotpotqa import hotpotqa_task
from lift_memory_bench.tasks.needles import generate_needles
from lift_memory_bench.tasks.question import BenchQuestion, TokenCounter

SECTIONS = 4  # stretches per task family, interleaved through the corpus


@dataclass(frozen=True)
class BenchCorpus:
    documents: tuple[Document, ...]
    questions: tuple[BenchQuestion, ...]
    sections: tuple[tuple[str, str], ...] = ()  # (family, text) in corpus order

    @property
    def text(self) -> str:
        """The corpus as one text (what ICL truncates and what the memory is built from)."""
        return "\n\n".join(d.text for d in self.documents)

    def tasks(self) -> list[str]:
        return list(dict.fromkeys(q.task for q in self.questions))


def split_evenly(items: list[str], parts: int) -> list[list[str]]:
    """``items`` cut into ``parts`` consecutive runs of near-equal length (some maybe empty)."""
    size, extra = divmod(len(items), parts)
    runs, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        runs.append(items[start:end])
        start = end
    return runs


def build_corpus(
    tasks: list[TaskName] | tuple[TaskName, ...],
    *,
    corpus_tokens: int,
    questions_per_task: int,
    count_tokens: TokenCounter,
    seed: int = 0,
    needle_group_size: int = 4,
    hotpot_paragraphs: Literal["supporting", "full"] = "supporting",
) -> BenchCorpus:
    """Generate the shared corpus and the questions of ``tasks`` (deterministic in ``seed``).

    The HotpotQA paragraphs take what their questions need; the rest of ``corpus_tokens`` is
    split between the fictional facts (padded with distractor facts) and the needle haystack.
    """
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise ValueError(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(TASKS)}")
    n = questions_per_task
    questions: list[BenchQuestion] = []
    # per family, the text of each of the SECTIONS stretches
    stretches: dict[str, list[str]] = {}

    # each generator has its own seeded stream: dropping one task leaves the others unchanged
    hotpot_tokens = 0
    if "hotpotqa" in tasks:
        paragraphs, hotpot_questions = hotpotqa_task(random.Random(seed + 3), n, hotpot_paragraphs)
        stretches["hotpotqa"] = ["\n\n".join(r) for r in split_evenly(paragraphs, SECTIONS)]
        hotpot_tokens = count_tokens("\n\n".join(paragraphs))
        questions += hotpot_questions

    fiction_tasks = [t for t in tasks if t.startswith("fact-")]
    needle_tasks = [t for t in tasks if t.startswith("needle-")]
    remaining = max(corpus_tokens - hotpot_tokens, 0)
    fiction_budget = remaining // 2 if needle_tasks else remaining
    needle_budget = remaining - fiction_budget if fiction_tasks else remaining

    if fiction_tasks:
        fiction = generate_fiction(
            random.Random(seed + 1),
            single=n if "fact-single" in tasks else 0,
            multihop=n if "fact-multihop" in tasks else 0,
            timeline=n if "fact-timeline" in tasks else 0,
            target_tokens=fiction_budget,
            count_tokens=count_tokens,
        )
        half = SECTIONS // 2
        runs = split_evenly(fiction.part_a, half) + split_evenly(fiction.part_b, SECTIONS - half)
        stretches["fiction"] = [" ".join(r) for r in runs]
        questions += fiction.questions
    if needle_tasks:
        pieces, needle_questions = generate_needles(
            random.Random(seed + 2),
            single=n if "needle-single" in tasks else 0,
            multikey=n if "needle-multikey" in tasks else 0,
            group_size=needle_group_size,
            target_tokens=needle_budget,
            count_tokens=count_tokens,
        )
        stretches["needles"] = [" ".join(r) for r in split_evenly(pieces, SECTIONS)]
        questions += needle_questions

    # round r holds stretch r of every family, in a seeded order
    order_rng = random.Random(seed)
    sections: list[tuple[str, str]] = []
    for index in range(SECTIONS):
        round_ = [(family, texts[index]) for family, texts in stretches.items() if texts[index]]
        order_rng.shuffle(round_)
        sections += round_
    text = "\n\n".join(section for _, section in sections)
    order = {task: index for index, task in enumerate(TASKS)}
    questions.sort(key=lambda q: order[q.task])  # stable: keeps each task's own order
    return BenchCorpus((Document("bench-corpus", text),), tuple(questions), tuple(sections))
