"""One ingest job in its own process: ``python -m lift_memory_cli.server.ingest_worker SPEC``.

SPEC is a JSON file written by :mod:`lift_memory_cli.server.jobs` (home, name, documents, model,
config, rag, chroma_url, resume, overwrite). Progress goes to stdout as JSON lines
(``{"event": "progress", ...}``, ``{"event": "stage", "message": ...}``), then
``{"event": "done", "result": <ingest --json summary>}``; a failure is one ``error: ...`` line on
stderr and exit status 1, as in the CLI.

A process of its own, not a thread of the server: training saturates the CPU/GPU and holds the
GIL in Python code, and it never touches the server's models or their locks. The pipeline is the
one `lift-memory ingest` runs (:mod:`lift_memory_cli.core.ingesting`).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lift_memory.documents import Document
from lift_memory_cli.core.errors import print_error, user_message
from lift_memory_cli.core.home import open_store
from lift_memory_cli.core.ingesting import IngestRequest, ingest_documents
from lift_memory_cli.core.json_values import jsonable


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(jsonable(event)) + "\n")
    sys.stdout.flush()


class JsonLineEvents:
    """The ingest's phases and training steps as JSON lines for the server's job watcher."""

    def stage(self, message: str) -> None:
        _emit({"event": "stage", "message": message})

    def done(self, message: str) -> None:
        """Not sent: the next stage, or the result, tells the job watcher as much."""

    def note(self, message: str) -> None:
        """Not sent: the job's result holds the numbers."""

    def train(self, progress: Any) -> None:
        _emit({"event": "progress", **asdict(progress)})


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingest as `lift-memory ingest --json` does, from documents given as text."""
    started = time.perf_counter()
    request = IngestRequest(
        name=spec["name"],
        documents=[Document(d.get("source", "request"), d["text"]) for d in spec["documents"]],
        model=spec["model"],
        config=spec.get("config") or {},
        rag=spec.get("rag", True),
        chroma_url=spec.get("chroma_url"),
        resume=bool(spec.get("resume")),
        overwrite=bool(spec.get("overwrite")),
    )
    summary = ingest_documents(open_store(spec["home"]), request, JsonLineEvents(), started=started)
    assert summary is not None  # a worker is never one process of an accelerate launch
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        _emit({"event": "done", "result": run(spec)})
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    except Exception as error:
        message = user_message(error) or f"unexpected {type(error).__name__}: {error}"
        print_error(message)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
