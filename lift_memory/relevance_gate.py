"""A relevance gate for the LoRA memory: one number per token that says how much of the update
applies (``LoraSettings.relevance_gate``, docs/lift.md §2).

Every retention lever tried left a LoRA memory forced on answering everyday questions with its
corpus's names and years (docs/benchmarks.md). The hidden state entering the first adapted layer
is a fixed function of the input (the layers below are frozen), and a linear read of it at the
question's last token told the quality corpus's questions from everyday ones, learned from the
training questions against the retention prompts alone: 99 % of the bench's corpus questions
above one half, 85 % of the 110 generic probes below (docs/benchmarks.md, twentieth session).
The gate is that read, trained with the memory — the Gated Memory's idea (a learned gate in the
memory itself) put in front of a LoRA, as WISE routes edits by activation (arXiv 2405.14768).

``g = sigmoid(w · rms_norm(h) + b)`` at every position; each adapted module's LoRA output is
multiplied by it (``B (A x) g = g B A x``: g is one scalar per token). Besides the gradients the
task and retention losses send through it, :meth:`RelevanceGate.supervision_loss` adds a
balanced binary cross-entropy: open on the corpus's batches, shut on retention batches, at the
positions whose output is trained. Supervised at every position instead, the gate learned the
chat template (the same on both sides, and the corpus's side 16 times as frequent) as open:
0.84 on average at the probes' last prompt token (docs/benchmarks.md, twentieth session).

A *fitted* gate (``per_question``, ``LoraSettings.fitted_relevance_gate``) is that read itself,
fitted after training (relevance_fit.py) and never trained further: it decides once per
question, at the last token of the prompt's forward — the whole update or none of it (a soft
value between would leave a corpus question half-answered and an everyday one half-changed) —
and holds the decision for every position of that forward and for the reply generated after it.
While a memory trains further (consolidation) it is suspended — the update applies in full, to
the training steps and to the probes that score them — and it is fitted again afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from lift_memory.prompts import IGNORE_INDEX

# the gate starts mostly open (sigmoid(2) = 0.88): the memory learns its corpus as before
INITIAL_BIAS = 2.0
MAX_BALANCE = 16.0


class RelevanceGate(nn.Module):
    """The gate's weights, the hooks that apply it, and its training signal."""

    def __init__(self, hidden_size: int, *, per_question: bool = False) -> None:
        super().__init__()
        self.per_question = per_question
        self.read = nn.Linear(hidden_size, 1)
        nn.init.zeros_(self.read.weight)
        nn.init.constant_(self.read.bias, INITIAL_BIAS)
        self._gate: torch.Tensor | None = None  # the current forward's, (batch, positions, 1)
        self._logits: list[torch.Tensor] = []  # since the last supervision_loss, while training
        # tokens seen per side, to weigh both sides alike whatever their share of the steps
        self._seen = {True: 0, False: 0}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._suspended = False

    @staticmethod
    def normalize(hidden: torch.Tensor) -> torch.Tensor:
        """The state the read sees: RMS-normalised, as a decoder layer's own input norm does."""
        return torch.nn.functional.rms_norm(hidden.float(), (hidden.shape[-1],))

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.read(self.normalize(hidden).to(self.read.weight.dtype))

    def attach(self, first_layer: nn.Module, lora_a_modules: list[nn.Module]) -> None:
        """Read the hidden state entering ``first_layer``; scale each LoRA ``A``'s output."""

        def read(_module: nn.Module, args: tuple, kwargs: dict) -> None:
            hidden = args[0] if args else kwargs["hidden_states"]
            if self.per_question:
                self._hold(hidden, training=_module.training)
                return
            logits = self.logits(hidden)
            if _module.training and torch.is_grad_enabled():  # a training step's forward
                self._logits.append(logits)
            self._gate = torch.sigmoid(logits)

        def scale(_module: nn.Module, _args: tuple, output: torch.Tensor) -> torch.Tensor:
            if self._gate is None:
                return output
            return output * self._gate.to(output.dtype)

        self._handles.append(first_layer.register_forward_pre_hook(read, with_kwargs=True))
        self._handles.extend(module.register_forward_hook(scale) for module in lora_a_modules)

    def _hold(self, hidden: torch.Tensor, *, training: bool) -> None:
        """A fitted gate's decision: read at a forward's last position, unless it continues a
        generation (one new token per row after a prompt); none while the memory trains."""
        if training or self._suspended:
            self._gate = None
            return
        continues = (
            hidden.shape[1] == 1 and self._gate is not None and self._gate.shape[0] == len(hidden)
        )
        if not continues:  # all of the update or none of it: shut is the base model exactly
            with torch.no_grad():
                self._gate = (self.logits(hidden[:, -1:]) > 0).to(hidden.dtype)

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """The whole update on every input while inside (a memory training further)."""
        self._suspended, self._gate = True, None
        try:
            yield
        finally:
            self._suspended = False

    def forget(self) -> None:
        """Drop the held decision: the next forward is a new question's."""
        self._gate = None

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._gate = None
        self._logits.clear()

    def supervision_loss(self, relevant: bool, labels: torch.Tensor) -> torch.Tensor | None:
        """Binary cross-entropy towards open (``relevant``: a batch of the corpus) or shut (a
        retention batch) at the positions that predict a trained token (``labels`` of the
        batch, IGNORE_INDEX elsewhere): the last prompt token and the reply of a chat, every
        position of plain text. A chat's template and question, alike on both sides, are left
        to the task's gradients. Both sides weigh alike over the training. None if nothing
        was read."""
        if not self._logits:
            return None
        predicts = torch.zeros_like(labels, dtype=torch.bool)
        predicts[:, :-1] = labels[:, 1:] != IGNORE_INDEX
        # the batch's last forward: the whole batch, or the rest of it after a shared opening
        # that ran once (shared_prefix.py), which then lines up with the labels' last positions
        last = self._logits[-1]
        self._logits.clear()
        width = last.shape[1]
        if last.shape[0] != predicts.shape[0] or width > predicts.shape[1]:
            return None
        logits = last[..., 0][predicts[:, predicts.shape[1] - width :]]
        if not logits.numel():
            return None
        self._seen[relevant] += logits.numel()
        # capped: the first retention batches come after thousands of the corpus's tokens
        balance = min(MAX_BALANCE, sum(self._seen.values()) / (2 * self._seen[relevant]))
        target = torch.full_like(logits, 1.0 if relevant else 0.0)
        return balance * torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
