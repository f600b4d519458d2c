"""What the server tests share: a store with two memories on the tiny model, and the real server
(uvicorn, in a thread) to drive with the official openai client.

A tiny random model has no knowledge to show, so "the memory answers from what it learnt" is
shown as: its greedy answer differs from the base model's, and equals what ``LiftMemory.ask``
gives in-process for the same question. The memories are trained a little harder than the CLI
tests' one (more epochs, a higher learning rate) so that their answers do differ.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import openai
import uvicorn
from lift_memory_cli.app import app as cli_app
from lift_memory_cli.server import create_app
from typer.testing import CliRunner

CONFIG = {
    "adapter": "gated_memory",  # answers report the gate statistics
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 2,
    "stage2_epochs": 4,
    "learning_rate": 3e-2,
    "qa_count": 4,
    "qa_generator": "cloze",
    "retention_samples": 0,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
}
TEXT = (
    "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk. "
    "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889."
)
QUESTIONS = [
    "Who keeps the lighthouse?",
    "Where did the new lens come from?",
    "What broke the great lens?",
    "When does Ilse light the lamp?",
]
TOKENS = 8
API_KEY = "sk-test-lift"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    """uvicorn serving ``create_app(...)`` on a free loopback port, in a daemon thread."""

    def __init__(self, home: Path, **options: Any) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(home, base_model="tiny-llama", **options),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
        )
        self.app = config.app
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.02)

    def client(self, api_key: str = "unused") -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=api_key, max_retries=0)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


OTHER_TEXT = "The ferry to Kelby leaves at seven; its captain is Ada Brisk, who sails it alone."


def build_home(root: Path) -> Path:
    """A store with memories 'notes' (a Gated Memory, with its Chroma arm) and 'ferry' (the
    default LoRA, without), both on the tiny model, built by the CLI under ``root``: the server
    swaps adapters of both kinds on one shared base model."""
    (root / "notes.txt").write_text(TEXT)
    (root / "ferry.txt").write_text(OTHER_TEXT)
    (root / "config.json").write_text(json.dumps(CONFIG))
    lora = {k: v for k, v in CONFIG.items() if k not in ("adapter", "learning_rate")}
    (root / "lora.json").write_text(json.dumps(lora))
    home = root / "home"
    for name, extra, config in (
        ("notes", [], "config.json"),
        ("ferry", ["--no-rag", "--epochs", "1"], "lora.json"),
    ):
        args = ["--home", str(home), "ingest", str(root / f"{name}.txt"), "--name", name, *extra]
        result = CliRunner().invoke(
            cli_app,
            [*args, "--model", "tiny-llama", "--config", str(root / config), "--json"],
        )
        assert result.exit_code == 0, result.output
    return home
