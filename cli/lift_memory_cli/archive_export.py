"""`lift-memory export NAME FILE.tar.gz`: a memory as one portable, checksummed archive
(:mod:`lift_memory_cli.core.memory_archive`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lift_memory_cli.core.memory_archive import export_memory
from lift_memory_cli.core.text import plural
from lift_memory_cli.errors import command
from lift_memory_cli.options import HomeOption, store_of
from lift_memory_cli.rendering import human_bytes, print_json, stderr_console


@command
def export_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The memory to export.", show_default=False)
    ],
    archive: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="The archive to write (.tar.gz).", show_default=False),
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Write a memory to a .tar.gz archive.

    Its manifest, adapter, corpus, QA pairs and embedded retrieval arm, with a SHA-256 of every
    file; `lift-memory import FILE` adds it to another store.
    """
    result = export_memory(store_of(ctx, home), name, archive, force=force)
    if json_output:
        print_json(result.to_json())
        return
    err = stderr_console()
    for note in result.notes:
        err.print(f"[yellow]note:[/] {note}")
    size = human_bytes(result.archive.stat().st_size)
    err.print(
        f"exported memory '{name}' to {result.archive} "
        f"({plural(len(result.files), 'file')}, {size})"
    )
