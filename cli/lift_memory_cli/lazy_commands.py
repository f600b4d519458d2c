"""Commands imported only when they run: a Typer group that knows each command by name and summary.

`lift-memory --help` and `lift-memory ls` should not pay for importing every command's module (the
ingest and archive commands bring pydantic models, the store and rich). The group lists each
command from a :class:`LazyCommand` (its name, ``module:function`` and one-line summary) and
imports the module when the command is looked up to run or to show its own help; click's LazyGroup
pattern, on Typer.

Plugins add commands the same way (the simonw/llm way): every entry point of the group
``lift_memory.commands`` names a callable ``register(commands: CommandRegistry) -> None``, so a
plugin's module is not imported either until its command runs.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

from lift_memory_cli.core.text import one_line

PLUGIN_GROUP = "lift_memory.commands"


@dataclass(frozen=True)
class LazyCommand:
    """A command known by name until it is needed."""

    name: str
    target: str  # "package.module:function", a Typer command function
    summary: str  # the line `lift-memory --help` shows; the function's docstring is the full help
    no_args_is_help: bool = False

    def load(self) -> typer.core.TyperCommand:
        module_name, _, function_name = self.target.partition(":")
        function = getattr(importlib.import_module(module_name), function_name)
        info = CommandInfo(
            name=self.name,
            callback=function,
            short_help=self.summary,
            no_args_is_help=self.no_args_is_help,
        )
        return get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=None)


class CommandRegistry:
    """What a plugin's ``register`` receives: ``add`` a command by name, target and summary."""

    def __init__(self) -> None:
        self.commands: dict[str, LazyCommand] = {}

    def add(self, name: str, target: str, summary: str, *, no_args_is_help: bool = False) -> None:
        self.commands[name] = LazyCommand(name, target, summary, no_args_is_help)


def plugin_commands() -> dict[str, LazyCommand]:
    """The commands of every ``lift_memory.commands`` entry point.

    A plugin that fails to register is reported on stderr and left out: the other commands work.
    """
    registry = CommandRegistry()
    for entry_point in entry_points(group=PLUGIN_GROUP):
        try:
            entry_point.load()(registry)
        except Exception as error:  # noqa: BLE001 - a broken plugin must not break the CLI
            sys.stderr.write(
                f"warning: plugin '{entry_point.name}' ({entry_point.value}) did not load: "
                f"{one_line(f'{type(error).__name__}: {error}')}\n"
            )
    return registry.commands


class LazyCommandGroup(TyperGroup):
    """A Typer group whose commands come from :class:`LazyCommand` tables.

    ``builtin`` is set by a subclass (the app's own commands); plugins are read the first time the
    group needs a name it does not know, or the whole list for its help.
    """

    builtin: tuple[LazyCommand, ...] = ()
    discover_plugins: Callable[[], dict[str, LazyCommand]] = staticmethod(plugin_commands)

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._lazy: dict[str, LazyCommand] = {command.name: command for command in self.builtin}
        self._plugins_read = False

    def _read_plugins(self) -> None:
        if not self._plugins_read:
            self._plugins_read = True
            for name, command in self.discover_plugins().items():
                self._lazy.setdefault(name, command)  # a plugin cannot replace a built-in

    def list_commands(self, ctx: typer.Context) -> list[str]:
        self._read_plugins()
        return [*self._lazy, *(name for name in self.commands if name not in self._lazy)]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> typer.core.TyperCommand | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in self._lazy:
            self._read_plugins()
        lazy = self._lazy.get(cmd_name)
        if lazy is None:
            return None
        command = lazy.load()
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        """The command list from the summaries, without importing any command."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                rows.append((name, _shortened(self._lazy[name].summary, limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shortened(summary: str, limit: int) -> str:
    return summary if len(summary) <= limit else summary[: max(limit - 3, 0)].rstrip() + "..."
