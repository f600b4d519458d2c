"""`lift-memory info NAME [--json]`: everything the manifest records about one memory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lift_memory_cli.core.memories import memory_details, memory_row, resume_command
from lift_memory_cli.core.rag_arm import rag_info
from lift_memory_cli.errors import command
from lift_memory_cli.options import HomeOption, store_of
from lift_memory_cli.rendering import (
    fmt_float,
    human_bytes,
    human_seconds,
    print_json,
    stdout_console,
)


@command
def info_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The memory.", show_default=False)],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the manifest as JSON.")
    ] = False,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Show one memory in detail.

    Its model, corpus, settings, training metrics and retrieval arm.
    """
    store = store_of(ctx, home)
    manifest = store.read_manifest(name)
    if json_output:
        print_json(memory_details(store, manifest))
        return
    out = stdout_console()
    row = memory_row(manifest)
    status = manifest.status
    if status != "complete":
        status = f"[yellow]{status}[/] — resume with `{resume_command(manifest)}`"
    out.print(f"[bold]{manifest.name}[/]  {status}")
    out.print(f"  path        {store.path(name)}")
    out.print(f"  model       {manifest.base_model} (fingerprint {manifest.base_fingerprint})")
    out.print(f"  adapter     {manifest.adapter_kind}, {human_bytes(manifest.adapter_bytes)}")
    out.print(f"  corpus      {row['documents']} document(s), {row['corpus_tokens']:,} tokens")
    out.print(f"  QA pairs    {manifest.qa_count}")
    out.print(f"  created     {manifest.created_at}")
    out.print(f"  updated     {manifest.updated_at}")
    rag = rag_info(manifest)
    if rag:
        where = rag.get("url") or rag.get("path")
        out.print(
            f"  rag arm     {rag.get('chunks')} chunks in '{rag.get('collection')}' ({where})"
        )
    else:
        out.print("  rag arm     none")
    documents = Table("source", "tokens", "chars", "sha256", title="documents")
    for document in manifest.documents:
        documents.add_row(
            document.source, f"{document.tokens:,}", f"{document.chars:,}", document.sha256[:12]
        )
    out.print(documents)
    if manifest.metrics or manifest.timings:
        numbers = Table("metric", "value", title="training")
        for key, value in sorted(manifest.metrics.items()):
            numbers.add_row(key, fmt_float(value, 4))
        for key, value in sorted(manifest.timings.items()):
            numbers.add_row(key, human_seconds(value))
        out.print(numbers)
    settings = Table("setting", "value", title="LIFT config")
    for key, value in manifest.config.items():
        settings.add_row(key, str(value))
    out.print(settings)
