"""Retention text the base model writes itself: chats (``LiftConfig.retention_self_prompts``)
and plain-text passages (``LiftConfig.retention_self_passages``).

The bundled retention prompts are 32 short questions: a memory trained to leave those alone can
still drift everywhere else. Here the base model writes the user turns itself: given its chat
template up to the start of a user turn and nothing more, an instruction-tuned model samples a
request of the kind it was tuned on (the "Magpie" self-prompting of arXiv 2406.08464), broad and
varied (advice, code, facts, stories). Its own greedy replies then make retention samples like
the bundled ones, so that KL retention holds the memory to the base model on a wide sample of
what the model is used for, at no cost in hand-written data. Half the turns are started with a
question word ("Who", "How many", ...): a free turn is mostly a long request for advice, while a
memory's leaks show in short questions, the form its QA pairs train. The passages are sampled the
same way from a document start, plain text for the plain-text damage the corpus's segments do.
Sampling is seeded: the same model and seed write the same text.
"""

from __future__ import annotations

import torch

from lift_memory.batched_generation import generate_batch, greedy_replies, pad_id
from lift_memory.config import LiftConfig
from lift_memory.models import LoadedModel
from lift_memory.prompts import chat_template_ids

# Sampling settings for the user turns: the model's own distribution (temperature 1), without
# its least likely tail.
USER_TURN_TEMPERATURE = 1.0
USER_TURN_TOP_P = 0.95
USER_TURN_MAX_TOKENS = 48
REPLY_MAX_TOKENS = 24  # as the bundled prompts' replies (retention.record_retention_answers)
_SENTINEL = "\u2063SELF-PROMPT\u2063"
# Openings of the started half of the turns: the question words of the QA generators' questions.
QUESTION_OPENERS: tuple[str, ...] = (
    "What",
    "Who",
    "Which",
    "Where",
    "When",
    "How many",
    "In which",
    "Why",
)


def user_turn_opening(loaded: LoadedModel) -> list[int]:
    """Token ids of the chat template up to where a user's words begin (system turn included):
    the prompt from which the model writes a user turn of its own."""
    tokenizer = loaded.tokenizer
    full = chat_template_ids(tokenizer, [{"role": "user", "content": _SENTINEL}])
    text = tokenizer.decode(full)
    if _SENTINEL not in text:
        raise ValueError(f"{loaded.model_id}: its chat template does not show the user's words")
    opening = tokenizer(text[: text.index(_SENTINEL)], add_special_tokens=False)["input_ids"]
    return list(opening)


def self_written_user_turns(
    loaded: LoadedModel, count: int, *, seed: int = 0, batch_size: int = 32
) -> list[str]:
    """Up to ``count`` distinct user turns the model writes itself, each one it ended on its own
    (cut-off turns are dropped). Seeded; the global random state is left as it was."""
    if count <= 0:
        return []
    opening = user_turn_opening(loaded)
    tokenizer = loaded.tokenizer
    turns: list[str] = []
    seen: set[str] = set()
    started = 0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _round in range(3 * (count // batch_size + 1)):  # at most ~3 batches per turn kept
            batch = min(batch_size, 2 * (count - len(turns)))
            openers = []
            for index in range(batch):
                opener = "" if index % 2 == 0 else QUESTION_OPENERS[started % len(QUESTION_OPENERS)]
                started += index % 2
                openers.append(opener)
            prompts = [
                opening + tokenizer(opener, add_special_tokens=False)["input_ids"]
                for opener in openers
            ]
            written = generate_batch(
                loaded,
                prompts,
                USER_TURN_MAX_TOKENS,
                temperature=USER_TURN_TEMPERATURE,
                top_p=USER_TURN_TOP_P,
            )
            for opener, (ids, ended) in zip(openers, written, strict=True):
                text = (opener + tokenizer.decode(ids, skip_special_tokens=True)).strip()
                key = " ".join(text.lower().split())
                if ended and text and key not in seen:
                    seen.add(key)
                    turns.append(text)
            if len(turns) >= count:
                break
    return turns[:count]


def self_prompted_pairs(loaded: LoadedModel, count: int, *, seed: int = 0) -> list[tuple[str, str]]:
    """``count`` (or fewer) chats the base model writes and answers itself: (user turn, reply)
    pairs for retention. Call with the memory switched off: the replies are the base model's."""
    turns = self_written_user_turns(loaded, count, seed=seed)
    replies = greedy_replies(loaded, turns, max_new_tokens=REPLY_MAX_TOKENS)
    return [(turn, reply) for turn, reply in zip(turns, replies, strict=True) if reply]


def _document_start_id(loaded: LoadedModel) -> int:
    """The token a pretraining document follows (``<|endoftext|>`` where the vocabulary has it)."""
    tokenizer = loaded.tokenizer
    start = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    if isinstance(start, int) and start != tokenizer.unk_token_id:
        return start
    return int(tokenizer.bos_token_id if tokenizer.bos_token_id is not None else pad_id(loaded))


def self_written_passages(
    loaded: LoadedModel,
    count: int,
    *,
    seed: int = 0,
    max_new_tokens: int = 96,
    min_tokens: int = 24,
    batch_size: int = 16,
) -> list[str]:
    """Up to ``count`` plain-text passages the model writes from a document start, each cut at
    an end-of-turn token and kept when at least ``min_tokens`` long: a sample of the text the
    model expects, for KL retention on plain text. Seeded; the global random state is kept."""
    if count <= 0:
        return []
    start = [_document_start_id(loaded)]
    passages: list[str] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _round in range(3 * (count // batch_size + 1)):
            batch = min(batch_size, count - len(passages) + 2)
            for ids, _ended in generate_batch(
                loaded,
                [start] * batch,
                max_new_tokens,
                temperature=USER_TURN_TEMPERATURE,
                top_p=USER_TURN_TOP_P,
            ):
                text = loaded.tokenizer.decode(ids, skip_special_tokens=True).strip()
                if len(ids) >= min_tokens and text:
                    passages.append(text)
            if len(passages) >= count:
                break
    return passages[:count]


def written_passage_pairs(loaded: LoadedModel, config: LiftConfig) -> list[tuple[str, str]]:
    """``config.retention_self_passages`` passages the base model writes, as retention pairs
    with an empty prompt (how ``retention.jsonl`` keeps plain text)."""
    passages = self_written_passages(loaded, config.retention_self_passages, seed=config.seed)
    return [("", passage) for passage in passages]


def self_written_retention(loaded: LoadedModel, config: LiftConfig) -> list[tuple[str, str]]:
    """Everything ``config`` asks the base model to write for retention: its chats, then its
    passages (as prompt-less pairs). Call with the memory switched off."""
    chats = self_prompted_pairs(loaded, config.retention_self_prompts, seed=config.seed)
    return [*chats, *written_passage_pairs(loaded, config)]


def describe_self_written(config: LiftConfig) -> str | None:
    """What :func:`self_written_retention` will write, for a progress line ("3 chats and 24
    passages"); None when nothing."""
    parts = [
        f"{count} {noun}"
        for count, noun in (
            (config.retention_self_prompts, "chats"),
            (config.retention_self_passages, "passages"),
        )
        if count
    ]
    return " and ".join(parts) or None
