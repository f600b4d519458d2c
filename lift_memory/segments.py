"""Segmented long-input training data (docs/design.md §1.1).

Each document is tokenized once and cut into overlapping segments of ``length`` tokens, starting
every ``stride`` tokens, so consecutive segments share exactly ``length - stride`` tokens and the
number of segments grows linearly with the document. Segments never cross document boundaries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lift_memory.documents import Document
from lift_memory.prompts import TrainingSample, chat_sample, head_tail_truncate, recite_prompt

if TYPE_CHECKING:  # a tokenizer is passed in; importing transformers here would cost torch
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "Document",
    "TokenizedDocument",
    "contextualized_samples",
    "segment_samples",
    "segment_spans",
    "tokenize_documents",
]

_OPENING_TOKENS = 12


@dataclass(frozen=True)
class TokenizedDocument:
    source: str
    token_ids: list[int]


def segment_spans(num_tokens: int, length: int, stride: int) -> list[tuple[int, int]]:
    """Half-open ``(start, end)`` spans covering ``range(num_tokens)``.

    Every span but the last has exactly ``length`` tokens; the last ends at ``num_tokens``.
    """
    if length <= 0 or not 0 < stride < length:
        raise ValueError(f"need 0 < stride < length, got length={length}, stride={stride}")
    if num_tokens <= 0:
        return []
    spans = []
    start = 0
    while True:
        end = min(start + length, num_tokens)
        spans.append((start, end))
        if end >= num_tokens:
            return spans
        start += stride


def tokenize_documents(
    tokenizer: PreTrainedTokenizerBase, documents: list[Document]
) -> list[TokenizedDocument]:
    return [
        TokenizedDocument(doc.source, tokenizer(doc.text, add_special_tokens=False)["input_ids"])
        for doc in documents
    ]


def segment_samples(
    documents: list[TokenizedDocument], length: int, stride: int
) -> list[TrainingSample]:
    """Plain language-modelling samples, loss on every token."""
    samples = []
    for doc in documents:
        for start, end in segment_spans(len(doc.token_ids), length, stride):
            ids = doc.token_ids[start:end]
            samples.append(TrainingSample(ids, list(ids), kind="segment"))
    return samples


def contextualized_samples(
    tokenizer: PreTrainedTokenizerBase,
    documents: list[TokenizedDocument],
    length: int,
    stride: int,
    window: int,
    rng: random.Random,
) -> list[TrainingSample]:
    """A truncated view of the document (random head + "..." + tail) then "recite segment i".

    The loss falls on the segment only, which teaches the model to fill in from memory what the
    short window left out — the situation it meets when answering.
    """
    samples = []
    for doc in documents:
        for start, end in segment_spans(len(doc.token_ids), length, stride):
            truncated = head_tail_truncate(
                tokenizer, doc.token_ids, window, head_fraction=rng.uniform(0.2, 0.8)
            )
            opening = tokenizer.decode(doc.token_ids[start : start + _OPENING_TOKENS])
            segment_text = tokenizer.decode(doc.token_ids[start:end])
            samples.append(
                chat_sample(
                    tokenizer,
                    recite_prompt(truncated, opening),
                    segment_text,
                    kind="contextualized",
                )
            )
    return samples
