"""The memory a quality run trained, for the recipes that look inside it after the fact
(``held_or_not.py``, ``style_or_knowledge.py``): both take ``--run RUN/report --out F.json``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lift_memory import LiftMemory, MemoryStore
from lift_memory.models import load_model


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
