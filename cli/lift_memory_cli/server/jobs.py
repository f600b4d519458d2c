"""Ingest jobs: each runs `ingest_worker` in a child process; the server only watches it.

A slow ingest never blocks queries: the child has its own interpreter and model, and holds no
lock of the server's (it takes the store's file lock on the memory, as `lift-memory ingest`
does, so a query on a new memory answers 409 until it is complete; a memory being replaced with
``"overwrite": true`` answers with its previous version until the swap). At most ``max_running``
ingests train at once; later jobs wait in status ``queued``. Jobs live in memory: a restarted
server forgets them, while an interrupted ingest resumes with ``"resume": true``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lift_memory.manifest import utc_now_iso

WORKER_MODULE = "lift_memory_cli.server.ingest_worker"


@dataclass
class IngestJob:
    id: str
    memory: str
    model: str
    status: str = "queued"  # queued → running → succeeded | failed
    created_at: str = field(default_factory=utc_now_iso)
    started_at: str | None = None
    finished_at: str | None = None
    stage: str | None = None
    progress: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "ingest.job",
            "memory": self.memory,
            "model": self.model,
            "status": self.status,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "stage": self.stage,
            "progress": self.progress,
            "result": self.result,
            "error": self.error,
        }


class IngestJobs:
    """Starts ingest jobs and keeps their status."""

    def __init__(
        self,
        home: Path,
        *,
        max_running: int = 1,
        on_finished: Callable[[IngestJob], None] | None = None,
    ) -> None:
        self.home = home
        self.on_finished = on_finished
        self._jobs: dict[str, IngestJob] = {}
        self._slots = threading.BoundedSemaphore(max(1, max_running))
        self._guard = threading.Lock()
        self._closed = False

    def start(self, spec: dict[str, Any]) -> IngestJob:
        """Queue an ingest of ``spec`` (the worker's spec, without ``home``)."""
        job = IngestJob(
            id=f"ingest-{secrets.token_hex(8)}", memory=spec["name"], model=spec["model"]
        )
        with self._guard:
            self._jobs[job.id] = job
        thread = threading.Thread(
            target=self._run, args=(job, {**spec, "home": str(self.home)}), daemon=True
        )
        thread.start()
        return job

    def get(self, job_id: str) -> IngestJob | None:
        with self._guard:
            return self._jobs.get(job_id)

    def list(self) -> list[IngestJob]:
        with self._guard:
            return list(self._jobs.values())

    def running_for(self, memory: str) -> IngestJob | None:
        with self._guard:
            return next(
                (
                    j
                    for j in self._jobs.values()
                    if j.memory == memory and j.status in ("queued", "running")
                ),
                None,
            )

    def close(self) -> None:
        """Stop running workers (their ingests resume later from the last checkpoint)."""
        with self._guard:
            self._closed = True
            processes = [j.process for j in self._jobs.values() if j.process is not None]
        for process in processes:
            if process.poll() is None:
                process.terminate()

    # --- the watcher thread of one job
    def _run(self, job: IngestJob, spec: dict[str, Any]) -> None:
        with self._slots, tempfile.TemporaryDirectory(prefix="lift-ingest-") as tmp:
            spec_path = Path(tmp) / "spec.json"
            spec_path.write_text(json.dumps(spec), encoding="utf-8")
            with self._guard:
                if self._closed:
                    job.status, job.error = "failed", "the server stopped"
                    return
                job.status, job.started_at = "running", utc_now_iso()
                job.process = subprocess.Popen(
                    [sys.executable, "-m", WORKER_MODULE, str(spec_path)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
                )
            process = job.process
            stderr: list[str] = []
            reader = threading.Thread(target=lambda: stderr.extend(process.stderr), daemon=True)
            reader.start()
            for line in process.stdout:
                self._event(job, line)
            code = process.wait()
            reader.join()
        errors = [line.strip() for line in stderr if line.strip()]
        job.finished_at = utc_now_iso()
        if code == 0 and job.result is not None:
            job.status = "succeeded"
        else:
            job.status = "failed"
            last = next((e for e in reversed(errors) if e.startswith("error:")), None)
            job.error = (last or (errors[-1] if errors else f"exit status {code}")).removeprefix(
                "error: "
            )
        if self.on_finished is not None:
            self.on_finished(job)

    @staticmethod
    def _event(job: IngestJob, line: str) -> None:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            return  # a library printed something on stdout
        kind = event.pop("event", None) if isinstance(event, dict) else None
        if kind == "progress":
            job.progress = event
        elif kind == "stage":
            job.stage = event.get("message")
        elif kind == "done":
            job.result = event.get("result")
