"""Self-distillation: the base model reading a fact's paragraph teaches the memory to answer without it.

For each closed-book QA sample the frozen base model is given the question *with* the paragraph the
fact comes from (open book) and the gold reply teacher-forced; its top-k next-token distribution at
every reply token becomes the sample's :class:`TeacherTargets`. Training then adds, on those
tokens, the KL from the teacher to the memory answering closed-book (context distillation, as in
Cartridges' self-study and prompt distillation, docs/lift.md §7). Where the teacher does not itself
predict the short answer, the sample keeps cross-entropy alone: a wrong teacher would teach the
wrong binding.

The teachers are computed once, before the adapter exists, so the teacher is exactly the base
model for every adapter kind.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from lift_memory.batches import collate
from lift_memory.loss import labelled_logits
from lift_memory.models import LoadedModel
from lift_memory.prompts import (
    IGNORE_INDEX,
    TeacherTargets,
    TrainingSample,
    prompt_ids,
    question_prompt,
)

__all__ = [
    "TOP_K",
    "OpenBookTeaching",
    "distillation_kl",
    "source_passage",
    "teach",
    "teacher_tensors",
]

# the teacher's distribution kept per position: enough mass for a 135M model's answers
# (the top 16 tokens hold nearly all of it), and a small tensor per sample
TOP_K = 16
_BATCH = 8


def source_passage(corpus_text: str, evidence: str) -> str:
    """The paragraph of ``corpus_text`` (blank-line separated) that holds ``evidence``, else the
    evidence itself."""
    needle = " ".join(evidence.split())
    for paragraph in corpus_text.split("\n\n"):
        if needle and needle in " ".join(paragraph.split()):
            return paragraph.strip()
    return evidence.strip()


@dataclass(frozen=True)
class OpenBookTeaching:
    """What :func:`teach` did: the samples (with teachers where the teacher was right) and how
    many of the closed-book questions the open-book teacher answered."""

    samples: list[TrainingSample]
    taught: int
    asked: int

    @property
    def teacher_accuracy(self) -> float:
        return self.taught / self.asked if self.asked else 0.0


@torch.no_grad()
def teach(
    loaded: LoadedModel,
    samples: list[TrainingSample],
    questions: dict[int, tuple[str, str, tuple[int, int] | None]],
) -> OpenBookTeaching:
    """Attach the open-book teacher to ``samples[i]`` for each ``i`` in ``questions``.

    ``questions[i]`` is (question, passage, the short answer's span among the reply's tokens or
    None for the whole reply). The teacher reads the same reply tokens as ``samples[i]`` after
    its open-book prompt. The model must be the bare base model.
    """
    model = loaded.model
    was_training = model.training
    model.eval()
    pad_id = loaded.tokenizer.pad_token_id or 0
    out = list(samples)
    taught = 0
    indices = sorted(questions)
    try:
        for start in range(0, len(indices), _BATCH):
            chunk = indices[start : start + _BATCH]
            open_book = []
            for i in chunk:
                question, passage, _ = questions[i]
                prompt = prompt_ids(loaded.tokenizer, question_prompt(question, passage))
                reply = [label for label in samples[i].labels if label != IGNORE_INDEX]
                labels = [IGNORE_INDEX] * len(prompt) + reply
                open_book.append(TrainingSample(prompt + reply, labels, "qa"))
            inputs = collate(open_book, pad_id, loaded.device)
            logits, targets = labelled_logits(model, **inputs)
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            top = logprobs.topk(TOP_K, dim=-1)
            row = 0
            for i, sample in zip(chunk, open_book, strict=True):
                n = sample.target_tokens
                rows = slice(row, row + n)
                row += n
                span = questions[i][2] or (0, n - 1)  # the reply without its end-of-turn token
                greedy = logprobs[rows].argmax(dim=-1)
                if not bool((greedy[span[0] : span[1]] == targets[rows][span[0] : span[1]]).all()):
                    continue  # the teacher is wrong here: cross-entropy alone
                teacher = TeacherTargets(
                    token_ids=top.indices[rows].tolist(), logprobs=top.values[rows].tolist()
                )
                out[i] = replace(samples[i], teacher=teacher)
                taught += 1
    finally:
        model.train(was_training)
    return OpenBookTeaching(out, taught, len(indices))


def teacher_tensors(
    batch: list[TrainingSample], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """The batch's teachers as rows lined up with :func:`labelled_logits`: token ids and
    log-probabilities ``(rows, TOP_K)`` and which rows have a teacher; None when none has."""
    if not any(sample.teacher for sample in batch):
        return None
    ids, logprobs, has = [], [], []
    for sample in batch:
        n = sample.target_tokens
        if sample.teacher is None:
            ids += [[0] * TOP_K] * n
            logprobs += [[0.0] * TOP_K] * n
            has += [False] * n
        else:
            ids += sample.teacher.token_ids
            logprobs += sample.teacher.logprobs
            has += [True] * n
    return (
        torch.tensor(ids, dtype=torch.long, device=device),
        torch.tensor(logprobs, dtype=torch.float, device=device),
        torch.tensor(has, dtype=torch.bool, device=device),
    )


def distillation_kl(
    student_logits: torch.Tensor,
    teacher_ids: torch.Tensor,
    teacher_logprobs: torch.Tensor,
    has_teacher: torch.Tensor,
) -> torch.Tensor:
    """Mean KL(teacher ‖ student) over the rows with a teacher, on the teacher's top-k tokens
    (renormalised); the student's log-probabilities are over the whole vocabulary."""
    if not bool(has_teacher.any()):
        return student_logits.sum() * 0.0
    student = torch.log_softmax(student_logits[has_teacher].float(), dim=-1)
    student_top = student.gather(-1, teacher_ids[has_teacher])
    teacher = torch.log_softmax(teacher_logprobs[has_teacher], dim=-1)
    return (teacher.exp() * (teacher - student_top)).sum(-1).mean()
