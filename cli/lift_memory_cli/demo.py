"""`make demo`: the `lift-memory` CLI on a bundled fictional corpus, in about fifteen minutes on CPU.

1. ``lift-memory ingest`` the sample (~1,000 tokens about the invented island of Varnholm, so no
   pretrained model knows it) into the memory ``varnholm-demo``, Chroma retrieval arm included;
2. ``lift-memory compare`` nine questions (eight about the island, one general-knowledge control)
   in base, memory, rag, hybrid and auto mode, printing the side-by-side table and writing
   ``reports/demo/`` (report.md, report.json, chart.png).

Training: the library's default recipe (docs/architecture.md, "The default adapter"): a LoRA in
the top 12 decoder layers, every fact of the text asked up to four ways and restated as plain
text, stage 2 until 90 % of the facts are extractable closed-book (at most 1 + 12 epochs), then
a relevance gate fitted to decide per question whether the memory answers (docs/lift.md §2). On
this ~1,000-token text that stopped after 5 stage-2 epochs at ~97k training tokens; the whole
demo took 14.9 minutes on two CPU cores (the ingest 13.3, its routing calibration 2.5 and the
gate's self-written turns ~2 of them) and answered 7 of the 9 questions from memory (base 1,
RAG 1, hybrid 7, auto 7; twenty-second session). The pinned
every-layer Gated Memory recipe the demo used before: 6, 1, 1, 6 of 9 at ~71k tokens.

A second `make demo` reuses a finished memory (``DEMO_FRESH=1`` ingests again) and resumes one
whose ingest was interrupted. ``LIFT_MEMORY_DEMO_MODEL`` / ``LIFT_MEMORY_DEMO_CONFIG`` (a
LiftConfig JSON file) swap the model and the recipe (the tests run the demo on a tiny model this
way).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

from rich.console import Console

from lift_memory.config import LiftConfig
from lift_memory.errors import LiftMemoryError
from lift_memory.precision import training_speedup
from lift_memory.store import MemoryStore
from lift_memory.training_tokens import estimate_training_tokens, expected_training_tokens
from lift_memory_cli.core.rag_arm import rag_info

NAME = "varnholm-demo"
SAMPLES = files("lift_memory_cli").joinpath("samples")
CORPUS = Path(str(SAMPLES.joinpath("varnholm.txt")))
QUESTIONS = Path(str(SAMPLES.joinpath("varnholm-questions.jsonl")))
MODES = "base,memory,rag,hybrid,auto"
REPORT_DIR = Path("reports") / "demo"
TRAIN_TOKENS_PER_S = 160.0  # SmolLM2-135M, top-12 LoRA, forward + backward, 2 CPU cores, fp32
CHARS_PER_TOKEN = 4.1  # SmolLM2's tokenizer on English prose


def train_tokens_per_s(config: LiftConfig) -> float:
    """The expected training speed on 2 CPU cores: faster where ``config`` trains in bf16 on this
    machine (``lift_memory.precision``)."""
    return TRAIN_TOKENS_PER_S * training_speedup(config)


def _settings() -> tuple[str | None, Path | None]:
    """The model and the LiftConfig JSON file the demo ingests with (None: the defaults)."""
    config = os.environ.get("LIFT_MEMORY_DEMO_CONFIG")
    return os.environ.get("LIFT_MEMORY_DEMO_MODEL") or None, Path(config) if config else None


def _existing_memory(home: Path | None, config: dict[str, Any]) -> tuple[str, bool]:
    """('missing' | 'complete' | 'incomplete' | 'different', whether it has a RAG arm).

    A memory trained on another text or with any other setting (an older demo recipe) is
    'different': the demo trains it again."""
    store = MemoryStore(home)
    if not store.exists(NAME):
        return "missing", False
    try:
        manifest = store.read_manifest(NAME)
    except LiftMemoryError:
        return "different", False
    sha = hashlib.sha256(CORPUS.read_text(encoding="utf-8").encode()).hexdigest()
    wanted = LiftConfig.model_validate(config).model_dump(mode="json")
    same = [d.sha256 for d in manifest.documents] == [sha] and all(
        manifest.config.get(k) == v for k, v in wanted.items()
    )
    if not same:
        return "different", False
    return manifest.status, rag_info(manifest) is not None


def _run(console: Console, args: list[str]) -> None:
    shown = " ".join(shlex.quote(a) for a in ["lift-memory", *args])
    console.print(f"\n[bold cyan]$ {shown}[/]")
    completed = subprocess.run([sys.executable, "-m", "lift_memory_cli", *args], check=False)
    if completed.returncode != 0:
        console.print(f"[red]demo stopped: `{shown}` exited with {completed.returncode}[/]")
        raise SystemExit(completed.returncode)


def main() -> None:
    console = Console(soft_wrap=True)
    started = time.perf_counter()
    env_home = os.environ.get("LIFT_MEMORY_HOME")
    home = Path(env_home).expanduser() if env_home else None
    model, config_path = _settings()
    config = json.loads(config_path.read_text()) if config_path else {}
    corpus_tokens = round(len(CORPUS.read_text(encoding="utf-8")) / CHARS_PER_TOKEN)
    train_tokens = expected_training_tokens(corpus_tokens, config)
    most_tokens = estimate_training_tokens(corpus_tokens, config)
    c = LiftConfig.model_validate(config)
    speed = train_tokens_per_s(c)
    minutes = train_tokens / speed / 60
    console.print("[bold]lift-memory demo[/]")
    recipe = config_path.name if config_path else "the library defaults"
    console.print(
        f"Corpus: {CORPUS.name}, ~{corpus_tokens:,} tokens of invented facts about the island "
        "of Varnholm.\n"
        f"Training ({recipe}): a {c.adapter} memory, {c.stage1_epochs} + at most "
        f"{c.stage2_epochs} epochs"
        + (
            f" (stage 2 stops once {c.learn_until:.0%} of the facts are extractable)"
            if c.learn_until
            else ""
        )
        + f": ~{train_tokens / 1000:.0f}k training tokens expected (at most "
        f"{most_tokens / 1000:.0f}k), ~{minutes:.0f} min at ~{speed:.0f} tokens/s "
        "on 2 CPU cores."
    )
    home_args = ["--home", str(home)] if home else []
    state, has_rag = _existing_memory(home, config)
    model_args = ["--model", model] if model else []
    if os.environ.get("DEMO_FRESH") or state in ("missing", "different"):
        _run(
            console,
            [*home_args, "ingest", str(CORPUS), "--name", NAME]
            + (["--config", str(config_path)] if config_path else [])
            + model_args
            + (["--overwrite"] if state != "missing" else []),
        )
    elif state == "incomplete" or not has_rag:
        console.print(f"memory '{NAME}' was interrupted earlier: resuming it")
        _run(
            console,
            [*home_args, "ingest", str(CORPUS), "--name", NAME, "--resume", *model_args],
        )
    else:
        console.print(f"memory '{NAME}' is already trained (DEMO_FRESH=1 trains it again)")
    _run(
        console,
        [
            *home_args,
            "compare",
            NAME,
            "--questions",
            str(QUESTIONS),
            "--modes",
            MODES,
            "--max-new-tokens",
            "32",
            "--report",
            str(REPORT_DIR),
        ],
    )
    elapsed = (time.perf_counter() - started) / 60
    console.print(
        f"\n[bold]done in {elapsed:.1f} min.[/] base = the model alone; memory = the trained "
        "memory, no context; rag = Chroma chunks in context, memory off; hybrid = the router's "
        "pick of the arms; auto = the memory for questions about the island, the base model "
        "for the control.\nTry: "
        f'lift-memory ask {NAME} "Who keeps the lighthouse on Varnholm?" --mode hybrid\n'
        f"     lift-memory ls    ·    lift-memory info {NAME}    ·    open {REPORT_DIR}/report.md"
    )


if __name__ == "__main__":
    main()
