"""`lift-memory serve`: an OpenAI-compatible HTTP API over the memories of one store.

``create_app(home)`` builds the FastAPI app; ``lift_memory_cli.serve`` runs it under uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lift_memory_cli.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy: the ingest worker runs as `-m lift_memory_cli.server.ingest_worker` and needs
    # neither FastAPI nor the app.
    if name == "create_app":
        from lift_memory_cli.server.app import create_app

        return create_app
    raise AttributeError(name)
