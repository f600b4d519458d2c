"""What commands share: the store home, from the global ``--home``, the command's own
``--home`` (it wins), or the engine's default (``$LIFT_MEMORY_HOME``, then ``~/.lift-memory``);
the ``--model`` option; and the answer options of `ask` and `compare` (``--max-new-tokens``,
``--policy``, ``--scaling``), spelled once so that their help stays the same."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lift_memory_cli.core.choices import check_choice
from lift_memory_cli.core.home import open_store, resolve_home
from lift_memory_cli.core.modes import POLICIES, SCALINGS

if TYPE_CHECKING:
    from lift_memory.store import MemoryStore

HOME_HELP = "Store directory [env: LIFT_MEMORY_HOME; default: ~/.lift-memory]."
# Also accepted after the command name (`lift-memory ls --home DIR`); wins over the global one.
HomeOption = typer.Option("--home", metavar="DIR", help=HOME_HELP, show_default=False)

# `ask` and `compare`: how answers are generated, chosen and routed
MaxNewTokensOption = typer.Option("--max-new-tokens", metavar="N", min=1, help="Answer length cap.")
PolicyOption = typer.Option(
    "--policy", metavar="POLICY", help=f"Hybrid router policy: {', '.join(POLICIES)}."
)
ScalingOption = typer.Option(
    "--scaling",
    metavar="HOW",
    help="auto mode: hard (memory or bare model) or soft (the memory scaled by the "
    "question's relevance; LoRA or Gated Memory).",
)


def check_answer_options(policy: str, scaling: str) -> None:
    """Refuse an unknown ``--policy`` or ``--scaling``."""
    check_choice(policy, POLICIES, "policy")
    check_choice(scaling, SCALINGS, "scaling")


def model_option(help: str) -> Any:
    """``--model/-m MODEL``, a base model; ``help`` says what the command does with it."""
    return typer.Option("--model", "-m", metavar="MODEL", help=help)


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
