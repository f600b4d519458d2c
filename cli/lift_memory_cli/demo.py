"""`make demo`: ingest the bundled fictional sample and answer questions with and without memory.

The comparison with the Chroma RAG arm joins this demo with the LlamaIndex integration.
"""

from __future__ import annotations

import os
import tempfile
from importlib.resources import files
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from lift_memory import Document, LiftMemory, MemoryStore, TrainProgress, ingest, load_model
from lift_memory.answer import generate_answer

QUESTIONS = [
    "Who built the lighthouse on Varnholm?",
    "Who is the keeper of the lighthouse on Varnholm?",
    "What is the name of Edda Mirel's parrot?",
    "How many paper lanterns are floated during the Festival of Lanterns?",
    "What is the name of the ferry from Varnholm to the mainland?",
    "What is the capital of France?",
]


def main() -> None:
    console = Console()
    text = files("lift_memory_cli").joinpath("samples/varnholm.txt").read_text()
    home = Path(os.environ.get("LIFT_MEMORY_HOME") or tempfile.mkdtemp(prefix="lift-demo-"))
    store = MemoryStore(home)
    console.print(f"[bold]lift-memory demo[/] — store at {home}")
    with console.status("loading SmolLM2-135M-Instruct (first run dequantizes the GGUF, ~30 s)"):
        loaded = load_model(home=home)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("preparing", total=None, info="")

        def on_progress(p: TrainProgress) -> None:
            progress.update(
                task,
                description=f"training ({p.stage}, epoch {p.epoch}/{p.epochs})",
                completed=p.step,
                total=p.total_steps,
                info=f"loss {p.loss:.3f} · {p.tokens_per_s:.0f} tok/s",
            )

        result = ingest(
            [Document("varnholm.txt", text)],
            "varnholm-demo",
            store=store,
            model=loaded,
            overwrite=True,
            on_progress=on_progress,
            on_stage=lambda message: progress.update(task, description=message),
        )
    console.print(
        f"ingested in {result.seconds:.0f} s ({result.train.tokens_per_s:.0f} tokens/s); "
        f"adapter {result.manifest.adapter_bytes / 1e6:.1f} MB"
    )
    memory = LiftMemory.load("varnholm-demo", store=store, model=loaded)
    table = Table("question", "base model (no context)", "with memory (no context)", "gate")
    for question in QUESTIONS:
        with memory.adapter.disabled():
            base = generate_answer(loaded, question, max_new_tokens=32)
        answer = memory.ask(question, max_new_tokens=32)
        table.add_row(question, base.text, answer.text, f"{answer.mean_gate:.3f}")
    console.print(table)


if __name__ == "__main__":
    main()
