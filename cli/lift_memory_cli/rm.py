"""`lift-memory rm NAME [--yes]`: delete a memory (and its Chroma collection on a server)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lift_memory.names import validate_memory_name
from lift_memory_cli.core.memories import delete_memory, rag_info_for_deletion
from lift_memory_cli.errors import CliError, command
from lift_memory_cli.options import HomeOption, store_of
from lift_memory_cli.rendering import stderr_console


@command
def rm_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The memory to delete.", show_default=False)
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Delete a memory.

    Its adapter, corpus, QA pairs and retrieval arm go with it.
    """
    validate_memory_name(name)
    store = store_of(ctx, home)
    rag = rag_info_for_deletion(store, name)
    if not yes:
        if not sys.stdin.isatty():
            raise CliError(f"not deleting memory '{name}' without confirmation; pass --yes")
        if not typer.confirm(f"Delete memory '{name}' in {store.home}?", default=False):
            raise CliError("nothing deleted")
    left = delete_memory(store, name, rag)
    if left is not None and rag:  # the memory is gone; say what is left
        stderr_console().print(
            f"[yellow]warning:[/] could not delete Chroma collection "
            f"'{rag.get('collection')}' on {rag.get('url')}: {left}"
        )
    stderr_console().print(f"deleted memory '{name}'")
