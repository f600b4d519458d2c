"""Is a trained fact extractable? Teacher-forced reply probabilities, batched, no generation.

A QA sample's answer is *extractable* when greedy decoding would produce it: every token of the
short answer inside the reply sentence ("1847" in "The lighthouse was built in 1847."), given the
question and the reply so far, has probability above ``threshold`` (0.5 makes each the argmax). Measured after each epoch (`train.py`), it lets training retire the facts it
has learned, keep working on the rest, and stop when enough are learned (docs/lift.md §6).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field, replace

import torch

from lift_memory.batches import collate
from lift_memory.frozen_prefix import FrozenPrefixCache
from lift_memory.loss import hidden_states, logits_at
from lift_memory.models import LoadedModel
from lift_memory.prompts import IGNORE_INDEX, TrainingSample
from lift_memory.shared_prefix import MIN_SHARED_PREFIX, shared_prefix_hidden, shared_prefix_length

# A new best must add this share of the facts (at least one): epoch-to-epoch noise of a few
# facts around a plateau is not progress.
PLATEAU_MIN_GAIN = 0.01


@dataclass(frozen=True)
class LearningTarget:
    """Train a stage until ``target_share`` of the facts are extractable (at most its epochs).

    ``probes`` maps a stage sample's index to the fact it asks about (the closed-book questions,
    measured); ``members`` maps every QA sample of a fact (with-context variants too) to it: a
    learned fact rests whole. Segments and retention samples are always trained.
    """

    probes: dict[int, str] = field(default_factory=dict)
    # every QA sample of each fact, probed or not
    members: dict[int, str] = field(default_factory=dict)
    # where the short answer sits among a probe's reply tokens: only those must pass (the rest
    # of the reply sentence restates the question); a probe without a span checks its whole reply
    answer_spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    threshold: float = 0.5
    target_share: float = 0.95
    # end the stage after this many epochs without a new best (None: never on a plateau)
    patience: int | None = None

    @property
    def facts(self) -> set[str]:
        return set(self.probes.values())

    def plateaued(self, counts: list[int]) -> bool:
        """Whether ``counts`` (facts learned after each epoch so far) have stalled: ``patience``
        epochs in a row without beating their best by ``PLATEAU_MIN_GAIN`` of the facts. On
        the quality corpus the share oscillated between 84 and 89 % for five epochs while
        training spent a third of its tokens (docs/benchmarks.md, learning curve)."""
        if self.patience is None or not counts:
            return False
        step = max(1, math.ceil(PLATEAU_MIN_GAIN * len(self.facts)))
        best, since_best = counts[0], 0
        for count in counts[1:]:
            if count >= best + step:
                best, since_best = count, 0
            else:
                since_best += 1
        return since_best >= self.patience

    def learned_facts(self, learned_samples: set[int]) -> set[str]:
        """Facts all of whose probed samples are learned."""
        pending = {fact for index, fact in self.probes.items() if index not in learned_samples}
        return self.facts - pending


@torch.no_grad()
def reply_min_probabilities(
    loaded: LoadedModel,
    samples: list[TrainingSample],
    max_batch_tokens: int = 4096,
    spans: list[tuple[int, int] | None] | None = None,
    frozen_cache: FrozenPrefixCache | None = None,
) -> list[float]:
    """For each sample, the smallest probability the model gives one of its reply tokens (or,
    with ``spans``, one of the reply tokens in ``[start, end)`` of that sample's span).

    As in training, the trainer's ``frozen_cache`` replays the frozen lower layers and a chunk's
    shared chat header is computed once (``shared_prefix.py``): the same probabilities for a
    fraction of the work, which matters because every fact is probed after every epoch."""
    model = loaded.model
    was_training = model.training
    model.eval()
    pad_id = loaded.tokenizer.pad_token_id or 0
    # causal attention: the tokens after a span's last one change none of its probabilities, so
    # each sample runs only up to that token (the rest of its reply sentence is not judged)
    judged = [
        _through_span(sample, spans[i] if spans is not None else None)
        for i, sample in enumerate(samples)
    ]
    order = sorted(range(len(samples)), key=lambda i: len(judged[i].input_ids))
    result = [0.0] * len(samples)
    start = 0
    try:
        while start < len(order):
            end = start + 1
            while end < len(order) and len(judged[order[end]].input_ids) * (end - start + 1) <= max(
                max_batch_tokens, len(judged[order[start]].input_ids)
            ):
                end += 1
            chunk = order[start:end]
            batch = [judged[i] for i in chunk]
            inputs = collate(batch, pad_id, loaded.device)
            prefix = shared_prefix_length(batch)
            whole = [samples[i] for i in chunk]  # the cache keeps the training samples' states
            if frozen_cache is not None:
                frozen_cache.fill([whole], pad_id, loaded.device)
            width = inputs["input_ids"].shape[1]
            with (
                frozen_cache.replaying(whole, width) if frozen_cache else contextlib.nullcontext()
            ) as replay:
                if prefix >= MIN_SHARED_PREFIX:
                    hidden = shared_prefix_hidden(
                        model, inputs["input_ids"], inputs["attention_mask"], prefix, replay
                    )
                else:
                    prefix = 0
                    hidden = hidden_states(model, inputs["input_ids"], inputs["attention_mask"])
            targets = inputs["labels"][:, prefix + 1 :]
            keep = targets != IGNORE_INDEX
            # only the answer span's tokens are judged: the output head (a 49k-word vocabulary
            # for SmolLM2) runs on those alone, not on the whole reply sentence
            for row, index in enumerate(chunk):
                span = spans[index] if spans is not None else None
                labelled = keep[row].nonzero()[:, 0]
                if span is not None and labelled[span[0] : span[1]].numel():
                    keep[row] = False
                    keep[row, labelled[span[0] : span[1]]] = True
            logp = torch.log_softmax(logits_at(model, hidden[:, :-1][keep]), dim=-1)
            token_p = logp.gather(1, targets[keep].unsqueeze(1)).squeeze(1).exp()
            rows = keep.nonzero()[:, 0]
            for row, index in enumerate(chunk):
                mine = token_p[rows == row]
                result[index] = float(mine.min()) if mine.numel() else 1.0
            start = end
    finally:
        model.train(was_training)
    return result


def _through_span(sample: TrainingSample, span: tuple[int, int] | None) -> TrainingSample:
    """``sample`` cut after the last labelled token its probe judges (``span`` indexes its
    labelled tokens; without one, or one past them, every labelled token is judged)."""
    labelled = [i for i, label in enumerate(sample.labels) if label != IGNORE_INDEX]
    judged = labelled[span[0] : span[1]] if span is not None else []
    if not judged:
        return sample
    end = judged[-1] + 1
    return replace(
        sample, input_ids=sample.input_ids[:end], labels=sample.labels[:end], teacher=None
    )


def learned_samples(
    loaded: LoadedModel,
    samples: list[TrainingSample],
    target: LearningTarget,
    max_batch_tokens: int = 4096,
    frozen_cache: FrozenPrefixCache | None = None,
    facts: set[str] | None = None,
    every_question: bool = True,
) -> set[int]:
    """Indices (into ``samples``) of the probed samples whose reply is extractable; with
    ``facts``, only those facts' probes are run.

    With ``every_question=False`` a fact's other questions are probed only once its first one
    passes: the same facts come out learned (a fact is learned when all its questions pass) for
    fewer probes while most facts are pending, but a pending fact's passing questions may be
    left out."""
    indices = sorted(i for i, fact in target.probes.items() if facts is None or fact in facts)

    def passing(chosen: list[int]) -> set[int]:
        spans = [target.answer_spans.get(i) for i in chosen]
        probed = [samples[i] for i in chosen]
        found = reply_min_probabilities(loaded, probed, max_batch_tokens, spans, frozen_cache)
        return {i for i, p in zip(chosen, found, strict=True) if p >= target.threshold}

    if every_question:
        return passing(indices)
    first: dict[str, int] = {}
    for index in indices:
        first.setdefault(target.probes[index], index)
    passed = passing(sorted(first.values()))
    firsts = set(first.values())
    rest = [i for i in indices if i not in firsts and first[target.probes[i]] in passed]
    return passed | passing(rest) if rest else passed
