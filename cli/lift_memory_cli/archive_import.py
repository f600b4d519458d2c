"""`lift-memory import FILE`: add a memory exported with `lift-memory export` to this store,
after checking the archive (no unsafe paths, every file's checksum) before anything is written
(:mod:`lift_memory_cli.core.memory_archive`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lift_memory_cli.core.memory_archive import import_memory
from lift_memory_cli.core.text import plural
from lift_memory_cli.errors import command
from lift_memory_cli.options import HomeOption, store_of
from lift_memory_cli.rendering import print_json, stderr_console


@command
def import_command(
    ctx: typer.Context,
    archive: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="An archive made by lift-memory export.", show_default=False
        ),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Add an exported memory to the store.

    The archive is checked first: paths that would leave the memory's folder, links, and files
    that do not match their checksums are refused, and nothing is written.
    """
    store = store_of(ctx, home)
    result = import_memory(store, archive)
    if json_output:
        print_json({**result.to_json(), "path": str(store.path(result.name))})
        return
    err = stderr_console()
    for note in result.notes:
        err.print(f"[yellow]note:[/] {note}")
    err.print(
        f"imported memory '{result.name}' ({plural(len(result.files), 'file')}) into "
        f'{store.home}; ask it with `lift-memory ask {result.name} "your question"`'
    )
