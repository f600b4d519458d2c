"""Crash-safety harness: kill `lift-memory ingest` in every phase, then check nothing was lost.

Each trial starts ``lift-memory ingest`` (tiny random model, ``--model tiny-llama``, its own
temporary ``LIFT_MEMORY_HOME``) and kills it with SIGKILL at a random point in a chosen phase:

    startup (imports, model load) · prepare (manifest, corpus, QA, retention) · train (optimizer
    steps) · checkpoint (writing checkpoint.safetensors) · commit (adapter + complete manifest)
    · chroma (building the RAG arm)

The phase hook of ``lift_memory.phases`` (``LIFT_MEMORY_PHASE_FILE`` / ``_DELAY``) makes the
process write a marker at each phase and atomic write and sleep a little after it; the harness
kills after a random marker of the chosen phase plus a random delay, and reports the phase the
process was really in (its last marker). After each kill it checks that

- every memory in the store is either complete and loadable (checksummed adapter, manifest) or
  marked incomplete, and memories that were complete before the trial are byte-for-byte intact;
- ``lift-memory ingest ... --resume`` completes the killed memory;
- the resumed memory equals an uninterrupted one: adapter tensors within 1e-5 and the same greedy
  answers to a few questions;
- no temp file or staging directory is left behind after the resume.

Overwrite trials (``overwrite.py``) kill ``lift-memory ingest --overwrite`` instead, in any of
those phases or in the swap that puts the finished replacement in place: the memory must stay
complete and answering (the previous one, byte for byte, or the new one), and ``--resume``
must finish the replacement.

Signal trials send SIGTERM and SIGINT during training instead: the command must exit with 130
and a one-line "interrupted ... --resume" message, after saving a checkpoint at the step it was
on, and the resume must continue from that step.

Run (the report in docs/reliability.md was made with this command):

    .venv/bin/python -m lift_memory_bench.crash_safety --trials 24 --seed 7

``--runner exec`` (default) runs the installed console script; ``--runner fork`` forks the
command from a pre-imported server process (multiprocessing's forkserver) instead, which skips
~10 s of imports per process: the quick mode the test suite uses.

One module per concept: ``workload`` (the corpus, settings and questions every ingest uses),
``runners`` (starting the command), ``markers`` (reading the phase file), ``targets`` (where to
kill), ``checks`` (the store after a kill), ``trials`` (one trial, end to end), ``report``
(summary and Markdown), ``run`` (a whole run; ``python -m`` is ``__main__``).
"""

from lift_memory_bench.crash_safety.markers import Marker, classify, read_markers
from lift_memory_bench.crash_safety.overwrite import OverwriteTrialResult, OverwriteTrials
from lift_memory_bench.crash_safety.report import markdown, summarize, summarize_overwrites
from lift_memory_bench.crash_safety.runners import (
    ExecRunner,
    ForkRunner,
    Process,
    command_env,
    make_runner,
)
from lift_memory_bench.crash_safety.targets import (
    OVERWRITE_TARGETS,
    PHASES,
    Profile,
    Target,
    draw_target,
    kill_at,
)
from lift_memory_bench.crash_safety.trials import Harness, TrialResult
from lift_memory_bench.crash_safety.workload import CONFIG, CORPUS, NEW_CORPUS, QUESTIONS

__all__ = [
    "CONFIG",
    "CORPUS",
    "NEW_CORPUS",
    "OVERWRITE_TARGETS",
    "PHASES",
    "QUESTIONS",
    "ExecRunner",
    "ForkRunner",
    "Harness",
    "Marker",
    "OverwriteTrialResult",
    "OverwriteTrials",
    "Process",
    "Profile",
    "Target",
    "TrialResult",
    "classify",
    "command_env",
    "draw_target",
    "kill_at",
    "make_runner",
    "markdown",
    "read_markers",
    "summarize",
    "summarize_overwrites",
]
