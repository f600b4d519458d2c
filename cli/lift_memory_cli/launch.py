"""`lift-memory ingest --processes N`: the same command again, under ``accelerate launch``.

The parent process only rebuilds its own command line (without ``--processes``) and hands it to
``accelerate launch --multi_gpu --num_processes N -m lift_memory_cli`` (run as
``python -m lift_memory_cli.launch``, which leaves out the launcher's traceback on failure: the
children print their own one-line errors). The N children see the launcher's environment
(``WORLD_SIZE``, ``RANK``…) and train data-parallel (:mod:`lift_memory.distributed`).
``--multi_gpu`` is what makes Accelerate start N processes through torchrun even on a machine
without GPUs; the children then use gloo on the CPU (which process is which:
:mod:`lift_memory_cli.core.processes`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import typer

from lift_memory_cli.errors import CliError

SKIPPED_OPTIONS = frozenset({"processes", "home"})


def command_args(ctx: typer.Context) -> list[str]:
    """The command's arguments and options as a command line, rebuilt from what was parsed."""
    options: list[str] = []
    arguments: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.name in SKIPPED_OPTIONS or value is None:
            continue
        values = list(value) if isinstance(value, list | tuple) else [value]
        if param.param_type_name == "argument":
            arguments += [str(v) for v in values]
        elif getattr(param, "is_flag", False):
            if param.secondary_opts:  # --rag/--no-rag
                options.append(param.opts[0] if value else param.secondary_opts[0])
            elif value:
                options.append(param.opts[0])
        else:
            for item in values:
                options += [param.opts[0], str(item)]
    return arguments + options


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accelerate_command(processes: int, home: Path, command: str, args: list[str]) -> list[str]:
    """``accelerate launch`` running ``lift-memory --home HOME COMMAND ARGS`` on N processes."""
    import torch

    if torch.cuda.is_available() and processes > torch.cuda.device_count():
        raise CliError(
            f"--processes {processes} needs {processes} GPUs; this machine has "
            f"{torch.cuda.device_count()}"
        )
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return [
        sys.executable,
        "-m",
        "lift_memory_cli.launch",  # accelerate's launcher, minus its traceback on failure
        "--multi_gpu",
        "--num_processes",
        str(processes),
        "--num_machines",
        "1",
        "--mixed_precision",
        "bf16" if bf16 else "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(_free_port()),  # two launches on one machine must not share the default port
        "-m",
        "lift_memory_cli",
        "--home",
        str(home),
        command,
        *args,
    ]


def relaunch(ctx: typer.Context, processes: int, home: Path) -> int:
    """Run this command again on ``processes`` processes; returns their exit status."""
    command = accelerate_command(processes, home, ctx.info_name or "ingest", command_args(ctx))
    return subprocess.call(command, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})


def run_accelerate(argv: list[str]) -> int:
    """``accelerate launch ARGV``; a failed child is reported by the child itself (one
    ``error:`` line), so the launcher's own ChildFailedError traceback is left out."""
    from accelerate.commands.launch import launch_command, launch_command_parser

    try:
        launch_command(launch_command_parser().parse_args(argv))
    except KeyboardInterrupt:
        return 130
    except Exception:  # noqa: BLE001 - ChildFailedError, CalledProcessError
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(run_accelerate(sys.argv[1:]))
