"""Starting `lift-memory` commands: the installed console script as a subprocess, or forked from
a server process that imported torch, transformers and the CLI once (multiprocessing's
forkserver), which skips ~10 s of imports per command."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

# Modules the fork runner's server imports once, before forking each command: the command under
# test and what it loads (names only: the harness never imports the CLI's command modules).
PRELOAD = [
    "torch",
    "transformers",
    "lift_memory",
    "lift_memory.tiny",
    "lift_memory_cli.app",
    "lift_memory_cli.ingest",
    "lift_memory_cli.ask",
    "llama_index.core",
    "llama_index.memory.lift",
]


def command_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a command: offline, one thread, none of the caller's LIFT_MEMORY_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFT_MEMORY_")}
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": "1",  # same float arithmetic in every run (and a fair share of CPU)
            "COLUMNS": "200",
        }
    )
    env.update(extra or {})
    return env


class Process:
    """A started command: pid, poll, wait, signal (same face for both runners)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    @property
    def pid(self) -> int:
        return int(self.handle.pid)

    def poll(self) -> int | None:
        if isinstance(self.handle, subprocess.Popen):
            return self.handle.poll()
        return None if self.handle.is_alive() else self.handle.exitcode

    def wait(self, timeout: float) -> int:
        if isinstance(self.handle, subprocess.Popen):
            try:
                return self.handle.wait(timeout)
            except subprocess.TimeoutExpired:
                self.handle.kill()
                return self.handle.wait()
        self.handle.join(timeout)
        if self.handle.is_alive():
            self.handle.kill()
            self.handle.join()
        return int(self.handle.exitcode)

    def send_signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(self.pid, sig)


class ExecRunner:
    """Runs the installed ``lift-memory`` console script as a subprocess."""

    name = "exec"

    def __init__(self, script: Path | None = None) -> None:
        found = script or Path(sys.executable).with_name("lift-memory")
        if not found.exists():
            found = Path(shutil.which("lift-memory") or found)
        self.script = found

    def start(self, argv: Sequence[str], env: dict[str, str], out: Path, err: Path) -> Process:
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            handle = subprocess.Popen(
                [str(self.script), *argv],
                env=command_env(env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        return Process(handle)


def _cli_child(argv: list[str], env: dict[str, str], out: str, err: str) -> None:
    """Body of a forked command: the console script's ``main`` with argv, env and redirections."""
    for key in [k for k in os.environ if k.startswith("LIFT_MEMORY_")]:
        del os.environ[key]
    os.environ.update(command_env(env))
    for path, fd in ((out, 1), (err, 2)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)
    import torch

    torch.set_num_threads(1)
    sys.argv = ["lift-memory", *argv]
    console_script()()  # exits through SystemExit with the command's code


def console_script() -> Callable[[], Any]:
    """The function the installed ``lift-memory`` script runs, found the way the script finds it
    (its entry point): the harness drives the command, not the CLI's modules."""
    (script,) = entry_points(group="console_scripts", name="lift-memory")
    return script.load()


class ForkRunner:
    """Forks each command from a forkserver that imported torch, transformers and the CLI once."""

    name = "fork"
    _context: Any = None

    def __init__(self) -> None:
        if ForkRunner._context is None:
            os.environ.setdefault("OMP_NUM_THREADS", "1")  # read by torch in the server
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([*PRELOAD, __name__])
            ForkRunner._context = context

    def start_server(self) -> None:
        """Start the server now: it imports in the background and the first command waits."""
        from multiprocessing import forkserver

        forkserver.ensure_running()

    def start(self, argv: Sequence[str], env: dict[str, str], out: Path, err: Path) -> Process:
        handle = self._context.Process(
            target=_cli_child, args=(list(argv), dict(env), str(out), str(err)), daemon=False
        )
        handle.start()
        return Process(handle)


def make_runner(name: str) -> ExecRunner | ForkRunner:
    return ForkRunner() if name == "fork" else ExecRunner()
