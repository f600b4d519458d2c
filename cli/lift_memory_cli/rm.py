"""`lift-memory rm NAME [--yes]`: delete a memory (and its Chroma collection on a server)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lift_memory_cli.context import HomeOption, open_store, rag_info, retrieval_arm
from lift_memory_cli.errors import CliError, command
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
    from lift_memory.errors import CorruptMemory
    from lift_memory.store import validate_memory_name

    validate_memory_name(name)
    store = open_store(ctx, home)
    if not store.exists(name):
        store.read_manifest(name)  # raises UnknownMemory with the store's message
    try:
        rag = rag_info(store.read_manifest(name))
    except CorruptMemory:  # a damaged memory can still be deleted
        rag = None
    if not yes:
        if not sys.stdin.isatty():
            raise CliError(f"not deleting memory '{name}' without confirmation; pass --yes")
        if not typer.confirm(f"Delete memory '{name}' in {store.home}?", default=False):
            raise CliError("nothing deleted")
    store.delete(name)
    if rag and rag.get("url"):  # the collection lives on a Chroma server, not in the folder
        try:
            retrieval_arm(store, name, rag).delete_collection()
        except Exception as error:  # noqa: BLE001 - the memory is gone; say what is left
            stderr_console().print(
                f"[yellow]warning:[/] could not delete Chroma collection "
                f"'{rag.get('collection')}' on {rag.get('url')}: {error}"
            )
    stderr_console().print(f"deleted memory '{name}'")
