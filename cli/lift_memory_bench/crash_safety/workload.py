"""What every ingest of the crash-safety harness works on: a tiny corpus, a quick LiftConfig
(tiny random model, a checkpoint every few steps) and the questions resumed memories answer;
the overwrite trials replace a memory of ``CORPUS`` with one of ``NEW_CORPUS``."""

from __future__ import annotations

CONFIG = {
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 1,
    "stage2_epochs": 2,
    "qa_count": 4,
    "qa_generator": "cloze",
    "retention_samples": 2,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
    "checkpoint_every_steps": 3,
}
CORPUS = (
    "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk. "
    "Her brother Tomas repairs the fishing boats in the harbour of Kelby. "
    "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889. "
    "The keeper's log records 412 ships guided past the reef in the first year.\n"
)
QUESTIONS = (
    "Who keeps the lighthouse on Varrow Point?",
    "Where did the new lens come from?",
    "How many ships were guided past the reef?",
)
NEW_CORPUS = (
    "The ferry to Kelby leaves the harbour at seven and is captained by Ada Brisk. "
    "She has sailed it alone since 1902, when the old captain retired to Glasgow. "
    "The crossing takes forty minutes and carries the mail twice a week.\n"
)
