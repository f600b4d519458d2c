"""`lift-memory info NAME [--qa] [--json]`: everything the manifest records about one memory,
and with --qa the auxiliary QA pairs it was trained on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lift_memory_cli.core.memories import (
    memory_details,
    memory_qa_pairs,
    memory_row,
    number,
    resume_command,
    unfinished_replacement,
)
from lift_memory_cli.core.rag_arm import rag_info
from lift_memory_cli.core.routing import routing_info, routing_lines
from lift_memory_cli.errors import command
from lift_memory_cli.options import HomeOption, store_of
from lift_memory_cli.rendering import human_bytes, human_seconds, print_json, stdout_console


@command
def info_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The memory.", show_default=False)],
    qa: Annotated[
        bool, typer.Option("--qa", help="Also show the QA pairs the memory was trained on.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the manifest (and --qa's pairs) as JSON.")
    ] = False,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Show one memory in detail.

    Its model, corpus, settings, training metrics and retrieval arm.
    """
    store = store_of(ctx, home)
    manifest = store.read_manifest(name)
    pairs = memory_qa_pairs(store, name) if qa else None
    if json_output:
        details = memory_details(store, manifest)
        if pairs is not None:
            details["qa"] = pairs
        print_json(details)
        return
    out = stdout_console()
    row = memory_row(manifest)
    status = manifest.status
    if status != "complete":
        status = f"[yellow]{status}[/] — resume with `{resume_command(manifest)}`"
    out.print(f"[bold]{manifest.name}[/]  {status}")
    replacement = unfinished_replacement(store, manifest)
    if replacement is not None:
        out.print(
            "  [yellow]a new version was left unfinished[/] (this one still answers); "
            f"finish it with `{resume_command(replacement)}`"
        )
    out.print(f"  path        {store.path(name)}")
    out.print(f"  model       {manifest.base_model} (fingerprint {manifest.base_fingerprint})")
    out.print(f"  adapter     {manifest.adapter_kind}, {human_bytes(manifest.adapter_bytes)}")
    out.print(f"  corpus      {row['documents']} document(s), {row['corpus_tokens']:,} tokens")
    out.print(f"  QA pairs    {manifest.qa_count}")
    out.print(f"  created     {manifest.created_at}")
    out.print(f"  updated     {manifest.updated_at}")
    rag = rag_info(manifest)
    if rag:
        where = rag.get("url") or store.chroma_dir(name)
        out.print(
            f"  rag arm     {rag.get('chunks')} chunks in '{rag.get('collection')}' ({where})"
        )
    else:
        out.print("  rag arm     none")
    for index, line in enumerate(routing_lines(routing_info(manifest))):
        out.print(f"  {'routing' if index == 0 else '':<11} {line}", markup=False)
    documents = Table("source", "tokens", "chars", "sha256", title="documents")
    for document in manifest.documents:
        documents.add_row(
            document.source, f"{document.tokens:,}", f"{document.chars:,}", document.sha256[:12]
        )
    out.print(documents)
    if manifest.metrics or manifest.timings:
        numbers = Table("metric", "value", title="training")
        for key, value in sorted(manifest.metrics.items()):
            numbers.add_row(key, _metric_text(value))
        for key, value in sorted(manifest.timings.items()):
            numbers.add_row(key, human_seconds(value))
        out.print(numbers)
    settings = Table("setting", "value", title="LIFT config")
    for key, value in manifest.config.items():
        settings.add_row(key, str(value))
    out.print(settings)
    if pairs is not None:
        table = Table("question", "answer", "evidence", title=f"QA pairs ({len(pairs)})")
        for pair in pairs:
            table.add_row(pair["question"], pair["answer"], pair["evidence"] or "-")
        out.print(table if pairs else "  QA pairs    none written yet")


def _metric_text(value: float) -> str:
    """Counts as integers (367, not 367.0000), other values to four decimals."""
    shown = number(value)
    if shown is None:
        return "-"
    return f"{shown:,}" if isinstance(shown, int) else f"{shown:.4f}"
