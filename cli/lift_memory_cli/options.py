"""What every command shares: the store home, from the global ``--home``, the command's own
``--home`` (it wins), or the engine's default (``$LIFT_MEMORY_HOME``, then ``~/.lift-memory``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from lift_memory.store import MemoryStore
from lift_memory_cli.core.home import open_store, resolve_home

HOME_HELP = "Store directory [env: LIFT_MEMORY_HOME; default: ~/.lift-memory]."
# Also accepted after the command name (`lift-memory ls --home DIR`); wins over the global one.
HomeOption = typer.Option("--home", metavar="DIR", help=HOME_HELP, show_default=False)


@dataclass
class CliState:
    """Global options, kept in the Typer context."""

    home: Path | None = None


def cli_state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, CliState) else CliState()


def home_of(ctx: typer.Context, home: Path | None = None) -> Path:
    """The store home for this command: its own ``--home``, else the global one, else the
    default."""
    return resolve_home(home or cli_state(ctx).home)


def store_of(ctx: typer.Context, home: Path | None = None) -> MemoryStore:
    return open_store(home or cli_state(ctx).home)
