"""The `lift-memory` command line (docs/design.md §6): one Typer app, one module per command.

Each command is imported only when it runs or shows its own help (:mod:`lift_memory_cli.lazy_commands`),
so `lift-memory --help` and `ls` stay fast. More commands come from plugins, in the style of
simonw/llm: every entry point of the group ``lift_memory.commands`` names a callable
``register(commands: CommandRegistry) -> None`` that adds its commands by name. The evaluation
harness ships `lift-memory bench` this way (``lift_memory_bench.plugin``), so that this package
never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lift_memory_cli.core.version import version
from lift_memory_cli.lazy_commands import LazyCommand, LazyCommandGroup
from lift_memory_cli.options import HOME_HELP, CliState

COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "ingest",
        "lift_memory_cli.ingest:ingest_command",
        "Internalize files, folders or stdin into a new memory.",
        no_args_is_help=True,
    ),
    LazyCommand(
        "ask",
        "lift_memory_cli.ask:ask_command",
        "Ask a memory a question, in one of six modes.",
        no_args_is_help=True,
    ),
    LazyCommand(
        "compare",
        "lift_memory_cli.compare:compare_command",
        "Compare answer modes side by side.",
        no_args_is_help=True,
    ),
    LazyCommand("ls", "lift_memory_cli.ls:ls_command", "List the memories in the store."),
    LazyCommand(
        "info",
        "lift_memory_cli.info:info_command",
        "Show one memory in detail.",
        no_args_is_help=True,
    ),
    LazyCommand("rm", "lift_memory_cli.rm:rm_command", "Delete a memory.", no_args_is_help=True),
    LazyCommand(
        "export",
        "lift_memory_cli.archive_export:export_command",
        "Write a memory to a .tar.gz archive.",
        no_args_is_help=True,
    ),
    LazyCommand(
        "import",
        "lift_memory_cli.archive_import:import_command",
        "Add an exported memory to the store.",
        no_args_is_help=True,
    ),
    LazyCommand(
        "serve",
        "lift_memory_cli.serve:serve_command",
        "Serve the memories over an OpenAI-compatible HTTP API.",
    ),
)


class LiftMemoryGroup(LazyCommandGroup):
    builtin = COMMANDS


app = typer.Typer(
    name="lift-memory",
    cls=LiftMemoryGroup,
    help=(
        "Parametric memory for agents and RAG pipelines: internalize a corpus into a small "
        "adapter (LoRA or Gated Memory) with LIFT, ask it, and A/B it against Chroma retrieval."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: stable text for docs/cli.md, no markup surprises
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lift-memory {version()}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            metavar="DIR",
            envvar="LIFT_MEMORY_HOME",
            help=HOME_HELP,
            show_default=False,
            show_envvar=False,
        ),
    ] = None,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Global options come before the command: `lift-memory --home DIR ls`."""
    ctx.obj = CliState(home=home)


def main() -> None:
    """Console-script entry point (`lift-memory`)."""
    app(prog_name="lift-memory")


if __name__ == "__main__":
    main()
