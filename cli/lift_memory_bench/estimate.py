"""What a benchmark run will cost, before it runs: training tokens, generations, minutes.

The command prints it before committing an hour; the runner records it in the report.

Training tokens come from the engine's estimate (``lift_memory.training_tokens``), which plans
a fixed number of QA pairs. The "facts" generator instead asks every fact of the corpus several
ways, ``fact_statements`` trains the corpus restated, and ``learn_until`` scores every question
after each epoch; :func:`training_tokens` adds those from ratios measured on the bench's own
corpus. With ``learn_until`` the figure is for the maximum epochs: a run that reaches its target
earlier (and rests learned facts) trains less.
"""

from __future__ import annotations

from dataclasses import dataclass

from lift_memory.config import LiftConfig
from lift_memory.training_tokens import QA_TOKENS, estimate_training_tokens
from lift_memory_bench.methods import METHOD_CLASSES
from lift_memory_bench.profiles import BenchProfile
from lift_memory_bench.variants import variant_config

# Measured on bench corpora of invented facts, needles and HotpotQA (SmolLM2 tokenizer): 4,584
# tokens held 502 facts with ~2.1 phrasings each (1,060 pairs at qa_per_fact=4, 1,079 uncapped);
# the quality profile's 5,764 tokens gave 1,291 pairs (0.224 per token) of 80 tokens each
# (QA_TOKENS is 75), and statements + reordered paragraphs of 1.62-1.66x the corpus's tokens.
FACTS_PER_CORPUS_TOKEN = 0.11
PHRASINGS_PER_FACT = 2.1
STATEMENT_TOKENS_PER_CORPUS_TOKEN = 1.64
# a learn_until probe is a teacher-forced forward pass: about a third of a training token's work
PROBE_COST = 1 / 3


def training_tokens(config: LiftConfig, corpus_tokens: int) -> int:
    """Training tokens (or their equivalent in work) of one ingest of ``corpus_tokens``."""
    if config.qa_generator == "facts" and config.qa_count != 0:
        facts = corpus_tokens * FACTS_PER_CORPUS_TOKEN
        pairs = round(facts * min(config.qa_per_fact, PHRASINGS_PER_FACT))
        if config.qa_count is not None:
            pairs = min(pairs, config.qa_count)
        config = config.model_copy(update={"qa_count": pairs})
    tokens = estimate_training_tokens(corpus_tokens, config.model_dump(mode="json"))
    if config.fact_statements:
        statements = round(corpus_tokens * STATEMENT_TOKENS_PER_CORPUS_TOKEN)
        tokens += config.stage2_epochs * statements
    if config.learn_until is not None:
        closed_book = config.planned_qa_count() * (1 - config.qa_with_context_fraction)
        tokens += round(config.stage2_epochs * closed_book * QA_TOKENS * PROBE_COST)
    return tokens


@dataclass(frozen=True)
class CostEstimate:
    """What a run will cost, before it runs."""

    training_tokens: dict[str, int]  # per training variant
    answers: int  # greedy generations (questions + retention probes, all methods)
    option_passes: int  # multiple-choice scoring prefills
    minutes: float

    @property
    def total_training_tokens(self) -> int:
        return sum(self.training_tokens.values())

    def describe(self) -> str:
        trainings = ", ".join(f"{k} {v / 1000:.0f}k" for k, v in self.training_tokens.items())
        return (
            f"{len(self.training_tokens)} training(s) [{trainings or 'none'}] = "
            f"{self.total_training_tokens / 1000:.0f}k training tokens; {self.answers} answers; "
            f"~{self.minutes:.0f} min"
        )


def estimate_cost(profile: BenchProfile, corpus_tokens: int | None = None) -> CostEstimate:
    """Training tokens per training (the engine's sample building, estimated), generations and
    minutes at the profile's ``estimate_*`` speeds."""
    tokens = corpus_tokens or profile.corpus_tokens
    training = {
        variant: training_tokens(variant_config(profile.lift, variant), tokens)
        for variant in profile.trainings()
    }
    questions = profile.questions_per_task * len(profile.tasks)
    per_method = {m: 2 if m == "hybrid" else 1 for m in profile.methods}
    answers = sum(per_method.values()) * questions
    probed = [m for m in profile.methods if METHOD_CLASSES[m].retention_probe == "ask"]
    answers += sum(per_method[m] for m in probed) * profile.generic_questions
    answers += profile.generic_questions  # the base model's reference answers
    if training:  # the base model's retention answers, recorded once for all trainings
        answers += profile.lift.retention_samples
    option_passes = len(profile.methods) * questions
    seconds = sum(training.values()) / profile.estimate_train_tokens_per_s
    seconds += (answers + option_passes / 2) * profile.estimate_seconds_per_answer
    if "icl-full" in profile.methods:  # a prompt of the whole corpus instead of the window
        seconds += questions * (tokens / profile.window - 1) * 0.5
    return CostEstimate(training, answers, option_passes, seconds / 60)
