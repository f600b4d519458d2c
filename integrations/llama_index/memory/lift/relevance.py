"""How relevant a question is to a memory's corpus: the score relevance routing decides on.

Three features per question, all cheap next to generating an answer:

- ``similarity``: the best cosine similarity of the question to the corpus chunks, from the
  memory's own Chroma arm (one top-1 retrieval);
- ``entity_overlap``: the share of the question's entities (capitalised words after the first,
  numbers, and identifiers: words with an inner hyphen, like the key "restless-badger") that
  the corpus names too — a name counts only where the corpus writes it as one (capitalised, a
  number, an identifier): "the Sun" of a question is no evidence for a corpus that only says
  "the sun is yellow";
- ``gate``: the Gated Memory's mean gate over the question's prompt (one forward pass; None for
  LoRA / PiSSA memories).

A *score kind* combines them into one number (:data:`SCORE_KINDS`); calibration at ingest picks
the kind that separates in-scope from out-of-scope questions best (``calibration.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import torch
from llama_index.memory.lift.retrieval import (
    AnyRetriever,
    ChromaRetrievalArm,
    RetrievedPassages,
    retrieve_passages,
)

from lift_memory.memory import LiftMemory
from lift_memory.models import model_lock
from lift_memory.prompts import prompt_ids, question_prompt

ScoreKind = Literal["similarity", "similarity+entities", "entities", "gate"]
SCORE_KINDS: tuple[ScoreKind, ...] = ("similarity", "similarity+entities", "entities", "gate")
"""In order of preference: calibration keeps the first of equally separating kinds."""

NO_SIMILARITY = -1.0  # nothing retrieved (an empty collection): as unrelated as cosine gets

_WORD = re.compile(r"[^\W_][\w'’-]*")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$", re.IGNORECASE)
# Always capitalised, never a name: the pronoun "I" and its contractions.
_FIRST_PERSON = frozenset({"i", "i'm", "i'd", "i've", "i'll", "i’m", "i’d", "i’ve", "i’ll"})


@dataclass(frozen=True)
class RelevanceFeatures:
    similarity: float | None
    """Best cosine similarity of the question to a corpus chunk; None if nothing was retrieved."""
    entity_overlap: float
    """Share of the question's entities found in the corpus (0 when it names none)."""
    gate: float | None = None
    """Mean memory gate over the question's prompt (Gated Memory only, when asked for)."""

    def to_json(self) -> dict[str, float | None]:
        return asdict(self)


def relevance_score(features: RelevanceFeatures, kind: ScoreKind) -> float:
    """One number per question; higher means more about the corpus."""
    similarity = NO_SIMILARITY if features.similarity is None else features.similarity
    if kind == "similarity":
        return similarity
    if kind == "entities":
        return features.entity_overlap
    if kind == "similarity+entities":
        return (similarity + features.entity_overlap) / 2
    if features.gate is None:
        raise ValueError("score kind 'gate' needs a Gated Memory's gate")
    return features.gate


def words(text: str) -> list[str]:
    """The words of ``text``, a possessive's "'s" taken off ("Drixshu's" is "Drixshu")."""
    return [_POSSESSIVE.sub("", word) or word for word in _WORD.findall(text)]


def is_number_or_identifier(word: str) -> bool:
    """A word with a digit, or an identifier joined by a hyphen (keys and codes such as
    "restless-badger" name one thing as surely as a name does)."""
    return any(ch.isdigit() for ch in word) or "-" in word.strip("-")


def is_name_like(word: str) -> bool:
    return word[0].isupper() or is_number_or_identifier(word)


def question_entities(question: str) -> set[str]:
    """Lower-cased names and numbers of a question: capitalised words after the first (the first
    is capitalised anyway) except the pronoun "I", numbers and identifiers."""
    found = set()
    for index, word in enumerate(words(question)):
        capitalised_name = index > 0 and word[0].isupper() and word.lower() not in _FIRST_PERSON
        if capitalised_name or is_number_or_identifier(word):
            found.add(word.lower())
    return found


def corpus_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """The names of a corpus, lower-cased: every name-like word (a sentence's capitalised first
    word included — a name there is still a name, and a question's entities are never
    "the" or "a")."""
    return frozenset(word.lower() for text in texts for word in words(text) if is_name_like(word))


def entity_overlap(question: str, vocabulary: frozenset[str]) -> float:
    entities = question_entities(question)
    if not entities:
        return 0.0
    return sum(entity in vocabulary for entity in entities) / len(entities)


@torch.no_grad()
def question_gate(memory: LiftMemory, question: str) -> float | None:
    """The Gated Memory's mean gate over the question's prompt; None for other adapters."""
    adapter = memory.adapter
    if adapter.kind != "gated_memory":
        return None
    loaded = memory.loaded
    ids = prompt_ids(loaded.tokenizer, question_prompt(question))
    with model_lock(loaded):
        loaded.model.eval()
        adapter.reset_gate_stats()
        loaded.model(input_ids=torch.tensor([ids], device=loaded.device))
        value = adapter.mean_gate()
        adapter.reset_gate_stats()
    return value


class RelevanceScorer:
    """The relevance features of questions to one memory's corpus, through a retriever over it
    (the memory's Chroma arm; any LlamaIndex retriever works, but a calibration only holds for
    the retriever it was measured with)."""

    def __init__(self, memory: LiftMemory, retrieval: AnyRetriever) -> None:
        self.memory = memory
        self.retrieval = retrieval
        self._vocabulary: frozenset[str] = frozenset()
        self._documents_seen = -1

    @property
    def vocabulary(self) -> frozenset[str]:
        documents = self.memory.documents
        if len(documents) != self._documents_seen:  # a consolidation added text
            self._vocabulary = corpus_vocabulary(d.text for d in documents)
            self._documents_seen = len(documents)
        return self._vocabulary

    def retrieve(self, question: str) -> RetrievedPassages:
        return retrieve_passages(self.retrieval, question, top_k=1)

    def features(
        self,
        question: str,
        *,
        retrieved: RetrievedPassages | None = None,
        with_gate: bool = False,
    ) -> RelevanceFeatures:
        """The question's features; ``retrieved`` reuses a retrieval already made for it."""
        retrieved = retrieved if retrieved is not None else self.retrieve(question)
        return self._features(question, retrieved.best_similarity, with_gate)

    def _features(
        self, question: str, similarity: float | None, with_gate: bool
    ) -> RelevanceFeatures:
        return RelevanceFeatures(
            similarity=similarity,
            entity_overlap=entity_overlap(question, self.vocabulary),
            gate=question_gate(self.memory, question) if with_gate else None,
        )

    def features_of_many(
        self, questions: Sequence[str], *, with_gate: bool = False
    ) -> list[RelevanceFeatures]:
        """:meth:`features` of many questions; over a Chroma arm their similarities come from
        one batched query (the same top-1 cosine, up to float rounding)."""
        if isinstance(self.retrieval, ChromaRetrievalArm):
            similarities = self.retrieval.best_similarities(questions)
        else:
            similarities = [self.retrieve(q).best_similarity for q in questions]
        return [
            self._features(question, similarity, with_gate)
            for question, similarity in zip(questions, similarities, strict=True)
        ]
