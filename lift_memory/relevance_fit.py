"""Fitting a LoRA memory's relevance gate after training (``LoraSettings.fitted_relevance_gate``,
docs/lift.md §2).

Trained with the memory, the gate learned the chat template instead of the corpus
(relevance_gate.py). Fitted afterwards as a plain logistic read, on the two sides an ingest
already has — the memory's training questions (open) and its retention prompts (shut) — at the
last prompt token of each, the same read told the quality corpus's unseen questions from the
generic probes with an AUC of 0.99 (docs/benchmarks.md, twentieth session). The layers below
the first adapted one are frozen, so the states it reads are the base model's whatever the
memory learned, and the fit needs no forward above that layer. What the gate is shut on beside
the retention prompts is relevance_shut_side.py's.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass

import torch
from torch import nn

from lift_memory.batched_generation import pad_id
from lift_memory.models import LoadedModel, decoder_layers
from lift_memory.prompts import prompt_ids, question_prompt
from lift_memory.relevance_gate import RelevanceGate

# enough questions for a 576-wide read; a corpus of a few thousand facts would spend minutes
MAX_QUESTIONS = 600
L2 = 1e-2  # on standardised features: the read keeps to directions many questions share


class _Captured(Exception):
    """Raised by the capturing hook: nothing above the read layer needs to run."""


@dataclass(frozen=True)
class RelevanceFit:
    """A fitted gate and how it sorts the two sides it was fitted on."""

    gate: RelevanceGate
    questions_open: float  # share of the training questions the gate opens on
    prompts_shut: float  # share of the shut side (retention prompts and more) it shuts on


def last_prompt_states(
    loaded: LoadedModel, layer: int, questions: list[str], batch_size: int = 32
) -> torch.Tensor:
    """(questions, hidden): the hidden state entering decoder ``layer`` at each question's last
    prompt token, as the memory's chat prompt puts it.

    Prompts of similar length run together, padded on the right: attention is causal, so the
    padding after a prompt never reaches its last token and each state is the one a prompt alone
    gives (one forward per prompt made this most of a warm ingest's time outside training).
    """
    prompts = [prompt_ids(loaded.tokenizer, question_prompt(q)) for q in questions]
    pad = pad_id(loaded)
    captured: list[torch.Tensor] = []

    def capture(_module: nn.Module, args: tuple, kwargs: dict) -> None:
        captured.append(args[0] if args else kwargs["hidden_states"])
        raise _Captured

    states: list[torch.Tensor | None] = [None] * len(prompts)
    by_length = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    handle = decoder_layers(loaded.model)[layer].register_forward_pre_hook(
        capture, with_kwargs=True
    )
    try:
        with torch.no_grad():
            for start in range(0, len(by_length), batch_size):
                rows = by_length[start : start + batch_size]
                width = max(len(prompts[i]) for i in rows)
                ids = [prompts[i] + [pad] * (width - len(prompts[i])) for i in rows]
                with contextlib.suppress(_Captured):
                    loaded.model(input_ids=torch.tensor(ids, device=loaded.device))
                hidden = captured.pop()
                for row, i in enumerate(rows):
                    states[i] = hidden[row, len(prompts[i]) - 1].detach().float()
    finally:
        handle.remove()
    return torch.stack([state for state in states if state is not None])


def balanced_logistic_read(
    opened: torch.Tensor, shut: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(weight, bias)`` of a logistic read of feature rows, ``opened`` (1) against ``shut``
    (0): fitted by LBFGS on standardised features, both sides weighing alike, L2-regularised,
    the standardisation folded back so that ``features @ weight + bias`` is the logit."""
    features = torch.cat([opened, shut]).float()
    labels = torch.cat([torch.ones(len(opened)), torch.zeros(len(shut))])
    mean, spread = features.mean(0), features.std(0) + 1e-5
    standardised = (features - mean) / spread
    weight = torch.zeros(features.shape[1], requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=500)
    balance = torch.tensor(len(shut) / len(opened))

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = standardised @ weight + bias
        loss = (
            nn.functional.binary_cross_entropy_with_logits(logits, labels, pos_weight=balance)
            + L2 * (weight**2).sum()
        )
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    with torch.no_grad():
        folded = weight / spread
        return folded.detach(), (bias - (folded * mean).sum()).detach()


def fit_relevance_gate(
    loaded: LoadedModel,
    layer: int,
    questions: list[str],
    prompts: list[str],
    *,
    margin: float = 0.0,
    seed: int = 0,
) -> RelevanceFit:
    """A per-question gate reading decoder ``layer``'s input: a balanced, L2-regularised
    logistic read of ``questions`` (open) against ``prompts`` (shut: the retention prompts and
    ``relevance_shut_side.extra_shut_questions``), its logit moved by ``margin`` (positive:
    more questions open)."""
    if not questions or not prompts:
        raise ValueError("a relevance gate is fitted on training questions and retention prompts")
    questions = random.Random(seed).sample(questions, min(len(questions), MAX_QUESTIONS))
    gate = RelevanceGate(loaded.model.config.hidden_size, per_question=True)
    opened, shut = (
        gate.normalize(last_prompt_states(loaded, layer, side)) for side in (questions, prompts)
    )
    weight, bias = balanced_logistic_read(opened, shut)
    with torch.no_grad():
        gate.read.weight.copy_(weight[None, :])
        gate.read.bias.copy_(bias + margin)
        gate.requires_grad_(False)
        opens = torch.sigmoid(gate.read(opened)).reshape(-1)
        shuts = torch.sigmoid(gate.read(shut)).reshape(-1)
    return RelevanceFit(
        gate=gate.to(loaded.device),
        questions_open=(opens > 0.5).float().mean().item(),
        prompts_shut=(shuts < 0.5).float().mean().item(),
    )
