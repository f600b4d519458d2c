"""The CLI imports a command's module only when that command runs; plugins add commands by name."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from lift_memory_cli.app import COMMANDS, app
from lift_memory_cli.lazy_commands import CommandRegistry, LazyCommand, LazyCommandGroup
from typer.testing import CliRunner

HEAVY = ("torch", "lift_memory.store", "lift_memory.manifest", "rich", "lift_memory_bench.command")
MARKER = "--- modules ---"


def _modules_after(args: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after running `lift-memory ARGS`."""
    script = (
        "import sys\n"
        "from lift_memory_cli.app import app\n"
        f"try:\n    app({args!r}, prog_name='lift-memory')\n"
        "except SystemExit:\n    pass\n"
        f"print({MARKER!r})\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return set(result.stdout.split(MARKER)[1].split())


def test_help_lists_every_command_without_importing_any() -> None:
    modules = _modules_after(["--help"])
    for heavy in HEAVY:
        assert heavy not in modules, heavy
    assert not any(m in modules for m in (c.target.split(":")[0] for c in COMMANDS))


def test_help_lists_builtins_then_plugins_with_their_summaries() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line]
    assert listed == [*(c.name for c in COMMANDS), "bench"]
    for command in COMMANDS:
        assert command.summary in result.output


def test_summary_is_the_first_line_of_the_commands_own_help() -> None:
    for command in COMMANDS:
        result = CliRunner().invoke(app, [command.name, "--help"])
        assert result.exit_code == 0, result.output
        assert command.summary in result.output, command.name


def test_running_a_command_imports_only_that_command() -> None:
    modules = _modules_after(["ls", "--help"])
    assert "lift_memory_cli.ls" in modules
    assert "lift_memory_cli.ingest" not in modules
    assert "lift_memory_bench.command" not in modules


def _group_with(plugins: dict[str, LazyCommand]) -> typer.Typer:
    class Group(LazyCommandGroup):
        builtin = (LazyCommand("ls", "lift_memory_cli.ls:ls_command", "List."),)
        discover_plugins = staticmethod(lambda: plugins)

    cli = typer.Typer(cls=Group)
    cli.callback()(lambda: None)
    return cli


def test_a_plugin_cannot_replace_a_builtin_and_unknown_names_fail_cleanly() -> None:
    cli = _group_with({"ls": LazyCommand("ls", "nowhere:nothing", "Evil ls.")})
    result = CliRunner().invoke(cli, ["--help"])
    assert "Evil" not in result.output and "List." in result.output
    result = CliRunner().invoke(cli, ["nope"])
    assert result.exit_code == 2 and "No such command" in result.output


def test_registry_and_broken_plugins(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from lift_memory_cli import lazy_commands

    class Broken:
        name, value = "broken", "somewhere:register"

        def load(self):
            raise ImportError("no module named somewhere")

    class Good:
        name, value = "good", "here:register"

        def load(self):
            return lambda registry: registry.add("hello", "here:hello", "Say hello.")

    monkeypatch.setattr(lazy_commands, "entry_points", lambda group: [Broken(), Good()])
    commands = lazy_commands.plugin_commands()
    assert commands == {"hello": LazyCommand("hello", "here:hello", "Say hello.")}
    assert (
        "plugin 'broken' (somewhere:register) did not load: ImportError" in capsys.readouterr().err
    )
    registry = CommandRegistry()
    registry.add("x", "m:f", "X.", no_args_is_help=True)
    assert registry.commands["x"].no_args_is_help
