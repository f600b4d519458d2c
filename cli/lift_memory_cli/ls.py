"""`lift-memory ls [--json]`: the memories in the store, and any directory that is not one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from lift_memory_cli.context import HomeOption, open_store, rag_info
from lift_memory_cli.errors import command
from lift_memory_cli.rendering import (
    human_bytes,
    plural,
    print_json,
    stderr_console,
    stdout_console,
)

if TYPE_CHECKING:
    from lift_memory import Manifest


def manifest_row(manifest: Manifest) -> dict[str, Any]:
    """The short description of a memory shared by `ls` and `info`."""
    rag = rag_info(manifest)
    return {
        "name": manifest.name,
        "status": manifest.status,
        "model": manifest.base_model,
        "adapter": manifest.adapter_kind,
        "documents": len(manifest.documents),
        "corpus_tokens": sum(d.tokens for d in manifest.documents),
        "qa_count": manifest.qa_count,
        "adapter_bytes": manifest.adapter_bytes,
        "rag_chunks": rag.get("chunks") if rag else None,
        "created_at": manifest.created_at,
        "updated_at": manifest.updated_at,
    }


@command
def ls_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """List the memories in the store."""
    store = open_store(ctx, home)
    memories = [manifest_row(m) for m in store.list()]
    problems = [
        {"name": p.name, "path": str(p.path), "error": p.message} for p in store.list_problems()
    ]
    if json_output:
        print_json({"home": str(store.home), "memories": memories, "problems": problems})
        return
    err = stderr_console()
    if not memories and not problems:
        err.print(
            f"no memories in {store.home}; create one with `lift-memory ingest FILE --name NAME`"
        )
        return
    if memories:
        table = Table(title=f"memories in {store.home}")
        for column in (
            "name",
            "status",
            "model",
            "docs",
            "tokens",
            "QA",
            "adapter",
            "rag",
            "updated",
        ):
            table.add_column(
                column,
                justify="right" if column in ("docs", "tokens", "QA") else "left",
                no_wrap=column in ("name", "status", "updated"),
            )
        for row in memories:
            status = row["status"] if row["status"] == "complete" else f"[yellow]{row['status']}[/]"
            table.add_row(
                row["name"],
                status,
                row["model"],
                str(row["documents"]),
                f"{row['corpus_tokens']:,}",
                str(row["qa_count"]),
                human_bytes(row["adapter_bytes"]) if row["adapter_bytes"] else "-",
                plural(row["rag_chunks"], "chunk") if row["rag_chunks"] is not None else "-",
                row["updated_at"][:16].replace("T", " "),
            )
        stdout_console().print(table)
    for problem in problems:
        err.print(f"[yellow]warning:[/] {problem['error']}", soft_wrap=True)
