"""The prompt format shared by training and inference, and chat-formatted training samples.

QA samples must be trained in exactly the format used when answering (docs/design.md §1.3), so both
sides build their prompts here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a tokenizer is passed in; importing transformers here would cost torch
    from collections.abc import Sequence

    from transformers import PreTrainedTokenizerBase

IGNORE_INDEX = -100
ELLIPSIS = " ... "


@dataclass(frozen=True)
class TeacherTargets:
    """A teacher's top-k next-token log-probabilities at each labelled position of a sample."""

    token_ids: list[list[int]]
    logprobs: list[list[float]]


@dataclass(frozen=True)
class TrainingSample:
    """Token ids and labels (``IGNORE_INDEX`` where no loss is taken) plus what made it;
    ``teacher``, when set, is a distribution to match on the labelled tokens too
    (self-distillation, docs/lift.md)."""

    input_ids: list[int]
    labels: list[int]
    kind: str
    teacher: TeacherTargets | None = None

    def __post_init__(self) -> None:
        if len(self.input_ids) != len(self.labels):
            raise ValueError("input_ids and labels differ in length")

    @property
    def target_tokens(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


def question_prompt(question: str, context: str | None = None) -> str:
    """The user turn for a question, with an optional context (truncated corpus or passages)."""
    question = question.strip()
    if not context:
        return question
    return f"Context:\n{context.strip()}\n\nUsing the context and what you know, answer: {question}"


def recite_prompt(truncated_corpus: str, opening: str) -> str:
    """The user turn of a contextualized-training sample (docs/design.md §1.1)."""
    return (
        f"{truncated_corpus.strip()}\n\n"
        f'The text above is shortened. Recite the passage that begins with "{opening.strip()}".'
    )


def chat_template_ids(
    tokenizer: PreTrainedTokenizerBase, messages: Sequence[dict[str, str]]
) -> list[int]:
    """Token ids of chat ``messages`` (``{"role", "content"}``) in the tokenizer's chat template,
    up to the start of the assistant's reply."""
    encoded = tokenizer.apply_chat_template(
        list(messages), add_generation_prompt=True, tokenize=True
    )
    if isinstance(encoded, dict) or hasattr(encoded, "input_ids"):
        encoded = encoded["input_ids"]
    return list(encoded)


def prompt_ids(tokenizer: PreTrainedTokenizerBase, user: str) -> list[int]:
    """Token ids of a one-turn chat up to the start of the assistant's reply."""
    return chat_template_ids(tokenizer, [{"role": "user", "content": user}])


def chat_sample(
    tokenizer: PreTrainedTokenizerBase, user: str, reply: str, kind: str
) -> TrainingSample:
    """A chat sample whose loss falls on the reply (and its end-of-turn token) only."""
    prompt = prompt_ids(tokenizer, user)
    reply_ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        reply_ids = [*reply_ids, tokenizer.eos_token_id]
    return TrainingSample(
        input_ids=prompt + reply_ids,
        labels=[IGNORE_INDEX] * len(prompt) + reply_ids,
        kind=kind,
    )


def head_tail_truncate(
    tokenizer: PreTrainedTokenizerBase,
    token_ids: list[int],
    window: int,
    head_fraction: float = 0.5,
) -> str:
    """The corpus cut to ``window`` tokens: its head, an ellipsis, its tail."""
    if len(token_ids) <= window:
        return tokenizer.decode(token_ids)
    head = max(0, min(window, round(window * head_fraction)))
    tail = window - head
    head_text = tokenizer.decode(token_ids[:head])
    tail_text = tokenizer.decode(token_ids[len(token_ids) - tail :]) if tail else ""
    return head_text + ELLIPSIS + tail_text
