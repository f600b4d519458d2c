"""`lift-memory ls [--json]`: the memories in the store, and any directory that is not one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lift_memory_cli.core.memories import memory_row, store_problems
from lift_memory_cli.core.text import plural
from lift_memory_cli.errors import command
from lift_memory_cli.options import HomeOption, store_of
from lift_memory_cli.rendering import human_bytes, print_json, stderr_console, stdout_console


@command
def ls_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """List the memories in the store."""
    store = store_of(ctx, home)
    memories = [memory_row(m) for m in store.list()]
    problems = store_problems(store)
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
