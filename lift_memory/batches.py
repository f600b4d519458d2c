"""Training samples into batches: packed by kind, then padded into tensors.

The trainer and the frozen-prefix cache both pad with :func:`collate`, so the hidden states the
cache computes line up with the batches the trainer replays them into.
"""

from __future__ import annotations

import random

import torch

from lift_memory.prompts import IGNORE_INDEX, TrainingSample

__all__ = ["collate", "length_groups", "make_batches"]

# What running one more group costs besides its tokens (its shared chat header, a second kernel
# sequence), in padded tokens: a split must save more padding than this.
GROUP_OVERHEAD_TOKENS = 48


def make_batches(
    samples: list[TrainingSample], max_batch_tokens: int, seed: int
) -> list[list[TrainingSample]]:
    """Shuffle, then pack samples of one kind together up to ``max_batch_tokens`` padded tokens.

    Keeping kinds apart stops a 256-token segment from drowning a 5-token answer in the
    per-token mean loss of a mixed batch.
    """
    rng = random.Random(seed)
    by_kind: dict[str, list[TrainingSample]] = {}
    for sample in samples:
        by_kind.setdefault(sample.kind, []).append(sample)
    batches: list[list[TrainingSample]] = []
    for kind in sorted(by_kind):
        group = by_kind[kind][:]
        rng.shuffle(group)
        batch: list[TrainingSample] = []
        longest = 0
        for sample in group:
            longest_if_added = max(longest, len(sample.input_ids))
            if batch and longest_if_added * (len(batch) + 1) > max_batch_tokens:
                batches.append(batch)
                batch, longest_if_added = [], len(sample.input_ids)
            batch.append(sample)
            longest = longest_if_added
        if batch:
            batches.append(batch)
    rng.shuffle(batches)
    return batches


def collate(batch: list[TrainingSample], pad_id: int, device: torch.device) -> dict:
    """Right-pad a batch into tensors; padding gets no attention and no loss."""
    width = max(len(s.input_ids) for s in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, sample in enumerate(batch):
        n = len(sample.input_ids)
        input_ids[row, :n] = torch.tensor(sample.input_ids)
        labels[row, :n] = torch.tensor(sample.labels)
        mask[row, :n] = 1
    return {
        "input_ids": input_ids.to(device),
        "attention_mask": mask.to(device),
        "labels": labels.to(device),
    }


def length_groups(
    batch: list[TrainingSample], overhead_tokens: int = GROUP_OVERHEAD_TOKENS
) -> list[list[TrainingSample]]:
    """The batch cut into groups of similar length, each padded only to its own longest sample.

    Batches mix lengths (QA samples of 50-100 tokens, segments and statements of 30-256), so a
    third of a batch's padded tokens is padding (docs/benchmarks.md). The trainer runs the groups
    one after another and accumulates their gradients into one optimizer step over the same
    samples: the same update for less work. The cut minimises padded tokens plus
    ``overhead_tokens`` per group (an exact partition of the length-sorted samples).
    """
    ordered = sorted(batch, key=lambda sample: len(sample.input_ids))
    lengths = [len(sample.input_ids) for sample in ordered]
    # best[j]: the cheapest cut of the j shortest samples; the last group is lengths[i:j]
    best = [0.0] + [float("inf")] * len(ordered)
    cut = [0] * (len(ordered) + 1)
    for j in range(1, len(ordered) + 1):
        for i in range(j):
            cost = best[i] + lengths[j - 1] * (j - i) + overhead_tokens
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups, end = [], len(ordered)
    while end > 0:
        groups.append(ordered[cut[end] : end])
        end = cut[end]
    return groups[::-1]
