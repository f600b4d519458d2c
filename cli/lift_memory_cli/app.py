"""The `lift-memory` command line (docs/design.md §6): one Typer app, one module per command.

More commands come from plugins, in the style of simonw/llm: every entry point of the group
``lift_memory.commands`` names a callable ``register(app: typer.Typer) -> None`` that adds its
commands. The evaluation harness ships `lift-memory bench` this way (``lift_memory_bench``), so
that this package never imports it.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from lift_memory_cli import (
    archive_export,
    archive_import,
    ask,
    compare,
    info,
    ingest,
    ls,
    rm,
    serve,
)
from lift_memory_cli.core.text import one_line
from lift_memory_cli.core.version import version
from lift_memory_cli.options import HOME_HELP, CliState

PLUGIN_GROUP = "lift_memory.commands"

app = typer.Typer(
    name="lift-memory",
    help=(
        "Parametric memory for agents and RAG pipelines: internalize a corpus into a small "
        "Gated Memory adapter with LIFT, ask it, and A/B it against Chroma retrieval."
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


app.command("ingest", no_args_is_help=True)(ingest.ingest_command)
app.command("ask", no_args_is_help=True)(ask.ask_command)
app.command("compare", no_args_is_help=True)(compare.compare_command)
app.command("ls")(ls.ls_command)
app.command("info", no_args_is_help=True)(info.info_command)
app.command("rm", no_args_is_help=True)(rm.rm_command)
app.command("export", no_args_is_help=True)(archive_export.export_command)
app.command("import", no_args_is_help=True)(archive_import.import_command)
app.command("serve")(serve.serve_command)


def register_plugins(app: typer.Typer) -> None:
    """Let every ``lift_memory.commands`` entry point add its commands to ``app``.

    A plugin that fails to load is reported on stderr and left out: the other commands work.
    """
    for entry_point in entry_points(group=PLUGIN_GROUP):
        try:
            entry_point.load()(app)
        except Exception as error:  # noqa: BLE001 - a broken plugin must not break the CLI
            sys.stderr.write(
                f"warning: plugin '{entry_point.name}' ({entry_point.value}) did not load: "
                f"{one_line(f'{type(error).__name__}: {error}')}\n"
            )


register_plugins(app)


def main() -> None:
    """Console-script entry point (`lift-memory`)."""
    app(prog_name="lift-memory")


if __name__ == "__main__":
    main()
