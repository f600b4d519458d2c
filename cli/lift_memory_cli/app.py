"""The `lift-memory` command line (DESIGN §6): one Typer app, one module per command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lift_memory_cli import ask, bench, compare, info, ingest, ls, rm, serve
from lift_memory_cli.context import HOME_HELP, CliState

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


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("lift-memory")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


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
app.command("serve")(serve.serve_command)
app.command("bench")(bench.bench_command)


def main() -> None:
    """Console-script entry point (`lift-memory`)."""
    app(prog_name="lift-memory")


if __name__ == "__main__":
    main()
