"""One ingest job in its own process: ``python -m lift_memory_cli.server.ingest_worker SPEC``.

SPEC is a JSON file written by :mod:`lift_memory_cli.server.jobs` (home, name, documents, model,
config, rag, chroma_url, resume, overwrite). Progress goes to stdout as JSON lines
(``{"event": "progress", ...}``), then ``{"event": "done", "result": <ingest --json summary>}``;
a failure is one ``error: ...`` line on stderr and exit status 1, as in the CLI.

A process of its own, not a thread of the server: training saturates the CPU/GPU and holds the
GIL in Python code, and it never touches the server's models or their locks.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lift_memory_cli.errors import _message, print_error


def _emit(event: dict[str, Any]) -> None:
    from lift_memory_cli.rendering import jsonable

    sys.stdout.write(json.dumps(jsonable(event)) + "\n")
    sys.stdout.flush()


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingest as `lift-memory ingest --json` does, from documents given as text."""
    from lift_memory.ingest import ingest
    from lift_memory.segments import Document
    from lift_memory.store import MemoryStore
    from lift_memory_cli.context import load_base_model, require_embeddings
    from lift_memory_cli.ingest import _segments_of, build_config, build_rag_arm, summary

    started = time.perf_counter()
    store = MemoryStore(spec["home"])
    name = spec["name"]
    resuming = bool(spec.get("resume")) and store.exists(name)
    if spec.get("rag", True):
        require_embeddings()
    config = None if resuming else build_config(None, spec.get("config") or {})
    model_id = store.read_manifest(name).base_model if resuming else spec["model"]
    documents = [Document(d.get("source", "request"), d["text"]) for d in spec["documents"]]
    loaded = load_base_model(model_id, store.home)
    ingest(
        documents,
        name,
        store=store,
        model=loaded,
        config=config,
        resume=resuming,
        overwrite=bool(spec.get("overwrite")),
        on_progress=lambda p: _emit({"event": "progress", **asdict(p)}),
        on_stage=lambda message: _emit({"event": "stage", "message": message}),
    )
    rag = None
    if spec.get("rag", True):
        _emit({"event": "stage", "message": "building the Chroma retrieval arm"})
        rag = build_rag_arm(store, name, documents, url=spec.get("chroma_url"), fresh=not resuming)
    manifest = store.read_manifest(name)
    return summary(
        manifest,
        store,
        segments=_segments_of(manifest),
        rag=rag,
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        _emit({"event": "done", "result": run(spec)})
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    except Exception as error:
        message = _message(error) or f"unexpected {type(error).__name__}: {error}"
        print_error(message)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
