"""The memory a quality run trained, for the recipes that look inside it after the fact
(``held_or_not.py``, ``style_or_knowledge.py``): both take ``--run RUN/report --out F.json``;
and the two sides a relevance gate learns from (``gate_separability.py``, ``scale_sweep.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lift_memory import LiftMemory, MemoryStore
from lift_memory.memory_files import read_retention
from lift_memory.models import load_model
from lift_memory.qa import read_qa_jsonl


def run_arguments() -> argparse.Namespace:
    """``--run`` (a quality run's report folder) and ``--out`` (the JSON file written)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", required=True, help="a quality run's report folder")
    parser.add_argument("--out", required=True)
    return parser.parse_args()


def load_run_memory(run: Path) -> tuple[LiftMemory, Path]:
    """The run's one memory on the default model, and its folder in the run's store."""
    directory = next((run / "store" / "memories").iterdir())
    loaded = load_model("smollm2-135m")
    memory = LiftMemory.load(directory.name, store=MemoryStore(run / "store"), model=loaded)
    return memory, directory


def gate_sides(directory: Path) -> tuple[list[str], list[str]]:
    """A memory's training questions (the side its relevance gate opens on) and its retention
    prompts (the side it shuts on; the retention passages have no prompt)."""
    questions = [pair.question for pair in read_qa_jsonl(directory / "qa.jsonl")]
    prompts = [prompt for prompt, _ in read_retention(directory) or [] if prompt]
    return questions, prompts
