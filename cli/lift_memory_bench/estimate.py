"""What a benchmark run will cost, before it runs: training tokens, generations, minutes.

The command prints it before committing an hour; the runner records it in the report.

Training tokens come from the engine's estimates (``lift_memory.training_tokens``, which also
count the "facts" generator's pairs, ``fact_statements`` and ``learn_until``'s probes): the
tokens a run is expected to train (with ``learn_until``, stage 2 stops once enough facts are
learned and learned facts rest) sets the minutes; the most it can train (every epoch on every
fact) is printed beside it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from lift_memory_cli.core.routing_calibration import HYBRID_SAMPLE

from lift_memory.config import LiftConfig
from lift_memory.precision import training_speedup
from lift_memory.training_tokens import estimate_training_tokens, expected_training_tokens
from lift_memory_bench.methods import METHOD_CLASSES
from lift_memory_bench.profiles import BenchProfile
from lift_memory_bench.routing_bench import VERIFIED


def training_tokens(config: LiftConfig, corpus_tokens: int) -> int:
    """Training tokens (or their equivalent in work) one ingest of ``corpus_tokens`` is expected
    to train."""
    return expected_training_tokens(corpus_tokens, config.model_dump(mode="json"))


def most_training_tokens(config: LiftConfig, corpus_tokens: int) -> int:
    """The most training tokens one ingest of ``corpus_tokens`` can train (every epoch)."""
    return estimate_training_tokens(corpus_tokens, config.model_dump(mode="json"))


@dataclass(frozen=True)
class CostEstimate:
    """What a run will cost, before it runs."""

    training_tokens: dict[str, int]  # per training variant, expected
    most_training_tokens: dict[str, int]  # per training variant, if no epoch stops early
    answers: int  # greedy generations (questions, retention probes, routing; all methods)
    option_passes: int  # multiple-choice scoring prefills
    minutes: float
    reused: frozenset[str] = frozenset()  # trainings finished by an earlier run: not retrained
    answered: frozenset[str] = frozenset()  # methods whose answers an earlier run kept

    @property
    def total_training_tokens(self) -> int:
        return sum(self.training_tokens.values())

    def describe(self) -> str:
        trainings = ", ".join(
            f"{k} reused"
            if k in self.reused
            else f"{k} {v / 1000:.0f}k"
            + (
                f" (at most {most / 1000:.0f}k)"
                if (most := self.most_training_tokens[k]) > v
                else ""
            )
            for k, v in self.training_tokens.items()
        )
        kept = f" ({', '.join(sorted(self.answered))} kept)" if self.answered else ""
        return (
            f"{len(self.training_tokens)} training(s) [{trainings or 'none'}] = "
            f"{self.total_training_tokens / 1000:.0f}k training tokens; {self.answers} answers"
            f"{kept}; ~{self.minutes:.0f} min"
        )


def estimate_cost(
    profile: BenchProfile,
    corpus_tokens: int | None = None,
    reused: Collection[str] = (),
    answered: Collection[str] = (),
) -> CostEstimate:
    """Training tokens per training (the engine's sample building, estimated; none for the
    ``reused`` ones, finished by an earlier run into the same folder), generations and minutes
    at the profile's ``estimate_*`` speeds; the methods ``answered`` by an earlier run into the
    same folder (``finished_methods.py``) cost nothing."""
    tokens = corpus_tokens or profile.corpus_tokens
    configs = {variant: profile.training_config(variant) for variant in profile.trainings()}
    finished = frozenset(reused) & configs.keys()
    training = {v: 0 if v in finished else training_tokens(c, tokens) for v, c in configs.items()}
    most = {v: 0 if v in finished else most_training_tokens(c, tokens) for v, c in configs.items()}
    questions = profile.questions_per_task * len(profile.tasks)
    # the hybrid runs its arms: memory and retrieval, and the combined one when calibrated
    hybrid_arms = 3 if profile.hybrid_policy == "calibrated" else 2
    todo = [m for m in profile.methods if m not in answered]
    per_method = {m: hybrid_arms if m == "hybrid" else 1 for m in todo}
    answers = sum(per_method.values()) * questions
    probed = [m for m in todo if METHOD_CLASSES[m].retention_probe == "ask"]
    answers += sum(per_method[m] for m in probed) * profile.generic_questions
    answers += profile.generic_questions  # the base model's reference answers
    if sum(training.values()):  # the base model's retention answers, once for all trainings
        answers += profile.lift.retention_samples
    routed = [m for m in todo if m == profile.routed_memory]
    if routed and profile.routing_probes:  # base answers once, then memory-on per method
        answers += profile.routing_probes * (1 + len(routed)) + VERIFIED * len(routed)
    if routed or "hybrid" in todo:  # the routing calibration, as ingest makes it
        answers += 3 * HYBRID_SAMPLE  # the hybrid arms' reliability
    option_passes = len(todo) * questions
    seconds = sum(
        trained / train_tokens_per_s(profile, configs[variant])
        for variant, trained in training.items()
    )
    seconds += (answers + option_passes / 2) * profile.estimate_seconds_per_answer
    if "icl-full" in profile.methods:  # a prompt of the whole corpus instead of the window
        seconds += questions * (tokens / profile.window - 1) * 0.5
    return CostEstimate(
        training, most, answers, option_passes, seconds / 60, finished, frozenset(answered)
    )


def train_tokens_per_s(profile: BenchProfile, config: LiftConfig) -> float:
    """The profile's training speed (float32 on two CPU cores), faster where ``config`` trains
    in bf16 on this machine's CPU (``lift_memory.precision``)."""
    return profile.estimate_train_tokens_per_s * training_speedup(config)
