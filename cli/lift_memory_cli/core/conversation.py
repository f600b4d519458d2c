"""A chat conversation as the model sees it: the system message, the earlier turns that fit in
the model's context window, and the question's own user turn, in the model's chat template.

The server answers a whole ``messages`` list; `ask` and `compare` answer one question and never
come here. Earlier turns are dropped oldest first when the prompt would not leave room for the
reply; the system message and the last user turn are never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lift_memory.prompts import chat_template_ids
from lift_memory_cli.core.errors import ServiceError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from lift_memory.models import LoadedModel

Role = Literal["system", "user", "assistant"]
DEFAULT_CONTEXT_WINDOW = 2048  # for a model config that does not say


class ContextTooLong(ServiceError):
    """The messages that must be kept, plus the reply, do not fit the model's context."""


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


def context_window(loaded: LoadedModel) -> int:
    """Tokens the model attends over: prompt and reply together."""
    config = loaded.model.config
    return int(getattr(config, "max_position_embeddings", None) or DEFAULT_CONTEXT_WINDOW)


def _template_ids(tokenizer: PreTrainedTokenizerBase, turns: Sequence[Turn]) -> list[int]:
    messages = [{"role": t.role, "content": t.content} for t in turns]
    try:
        return chat_template_ids(tokenizer, messages)
    except Exception:  # noqa: BLE001 - jinja's TemplateError: e.g. a template with no system role
        if not turns or turns[0].role != "system":
            raise
        # such templates (Gemma's) expect the system text at the head of the first user turn
        system, rest = turns[0], list(turns[1:])
        first = next((i for i, t in enumerate(rest) if t.role == "user"), None)
        if first is None:
            raise
        rest[first] = Turn("user", f"{system.content}\n\n{rest[first].content}")
        return _template_ids(tokenizer, rest)


def conversation_ids(
    tokenizer: PreTrainedTokenizerBase,
    history: Sequence[Turn],
    user_text: str,
    *,
    budget: int,
) -> list[int]:
    """Token ids of ``history`` + the final user turn ``user_text``, ready for the reply.

    ``budget``: the most prompt tokens allowed (the context window minus the reply's tokens).
    System turns are kept; the oldest other turns go first, and the kept ones start with a
    user turn (chat templates expect user and assistant to alternate from there).
    """
    system = [t for t in history if t.role == "system"]
    turns = [t for t in history if t.role != "system"]
    final = Turn("user", user_text)
    while True:
        ids = _template_ids(tokenizer, [*system, *turns, final])
        if len(ids) <= budget:
            return ids
        if not turns:
            raise ContextTooLong(
                f"the messages need {len(ids)} prompt tokens, but the model's context leaves "
                f"{max(budget, 0)} once the reply's max_tokens are set aside; shorten the "
                "system message or the last user message, or ask for fewer max_tokens"
            )
        turns = turns[1:]
        while turns and turns[0].role != "user":
            turns = turns[1:]
