"""How a reply ended, as OpenAI reports it: its text up to the first stop sequence, the finish
reason (``stop``: the answer or a stop sequence ended it; ``length``: ``max_tokens`` did) and the
token counts for ``usage``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lift_memory_cli.core.stop_sequences import cut_at_stop

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class ReplyEnd:
    text: str
    finish_reason: Literal["stop", "length"]
    prompt_tokens: int
    completion_tokens: int


def end_reply(
    text: str,
    *,
    prompt_tokens: int,
    completion_tokens: int,
    hit_token_limit: bool,
    stops: Sequence[str],
    tokenizer: PreTrainedTokenizerBase,
) -> ReplyEnd:
    """The reply ``text`` (of a generation of ``completion_tokens``) cut at ``stops``.

    A reply cut at a stop sequence counts the tokens of what is returned: the model generated
    on past it (the engine has no stop strings), but a client is owed only the returned text.
    """
    cut, stopped = cut_at_stop(text, stops)
    if stopped:
        returned = len(tokenizer(cut, add_special_tokens=False)["input_ids"])
        return ReplyEnd(cut, "stop", prompt_tokens, returned)
    reason: Literal["stop", "length"] = "length" if hit_token_limit else "stop"
    return ReplyEnd(text, reason, prompt_tokens, completion_tokens)
