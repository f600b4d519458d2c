"""`lift-memory serve`: the memories of a store behind an OpenAI-compatible HTTP API.

The app itself lives in :mod:`lift_memory_cli.server`; this module only reads the options and
runs it under uvicorn. FastAPI and uvicorn are imported when the command runs, so the rest of
the CLI does not pay for them.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from lift_memory_cli.core.base_model import DEFAULT_MODEL
from lift_memory_cli.errors import CliError, command
from lift_memory_cli.options import HomeOption, home_of, model_option
from lift_memory_cli.rendering import stderr_console

API_KEY_ENV = "LIFT_MEMORY_API_KEY"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@command
def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="HOST",
            help="Address to bind; loopback by default. Set LIFT_MEMORY_API_KEY before binding "
            "to anything else.",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", min=0, max=65535, help="Port to bind.")
    ] = 8000,
    model: Annotated[
        str, model_option("Base model also served as itself (memories use their own base models).")
    ] = DEFAULT_MODEL,
    max_loaded: Annotated[
        int,
        typer.Option(
            "--max-loaded",
            metavar="N",
            min=1,
            help="Memories and base models kept loaded (memories on one base model share it).",
        ),
    ] = 4,
    max_ingests: Annotated[
        int,
        typer.Option(
            "--max-ingests", metavar="N", min=1, help="Ingest jobs that train at the same time."
        ),
    ] = 1,
    home: Annotated[Path | None, HomeOption] = None,
) -> None:
    """Serve the memories over an OpenAI-compatible HTTP API.

    GET /v1/models lists the base model and every complete memory as lift:NAME; POST
    /v1/chat/completions answers with one (streaming or not; the extra body field lift_mode picks
    auto, the default, memory, rag, hybrid, icl or base) and POST /v1/completions continues a
    prompt (auto, memory or base); /v1/memories lists, shows, deletes and ingests memories; GET
    /health answers without a key. When LIFT_MEMORY_API_KEY is set, every other request needs
    'Authorization: Bearer <key>'.
    """
    api_key = os.environ.get(API_KEY_ENV) or None
    if not is_loopback(host) and not api_key:
        stderr_console().print(
            f"[yellow]warning:[/] serving on {host} without an API key: anyone who can reach "
            f"it can read and delete memories; set {API_KEY_ENV}"
        )
    try:
        import uvicorn

        from lift_memory_cli.server import create_app
    except ImportError as error:  # pragma: no cover - both are dependencies
        raise CliError(f"the server needs {error.name}: pip install fastapi uvicorn") from None
    app = create_app(
        home_of(ctx, home),
        base_model=model,
        api_key=api_key,
        max_loaded=max_loaded,
        max_ingests=max_ingests,
    )
    uvicorn.run(app, host=host, port=port, log_level="info")
