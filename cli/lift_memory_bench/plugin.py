"""`lift-memory bench` reaches the `lift-memory` app through this plugin hook.

The ``lift_memory.commands`` entry point names :func:`register`; it only names the command, so
the harness is imported when `lift-memory bench` runs, never for another command or `--help`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lift_memory_cli.lazy_commands import CommandRegistry


def register(commands: CommandRegistry) -> None:
    """Add `bench` to the `lift-memory` app (the ``lift_memory.commands`` entry point)."""
    commands.add(
        "bench",
        "lift_memory_bench.command:bench_command",
        "Benchmark LIFT against RAG and ICL on one generated long corpus.",
    )
