"""The `lift-memory` console script: `lift-memory --help` from a cache, everything else via Typer.

Importing Typer and click alone costs more CPU than the whole top-level help needs, so the
rendered help is kept in the user's cache directory (``$XDG_CACHE_HOME/lift-memory``) and
printed from there without importing them. The cache key holds everything the text depends on:
the help width (click's ``min(columns, 80)``), the files that define the commands and their
summaries (``app.py``, ``options.py``, ``lazy_commands.py``), and the modification times of the
import path's directories, which change when a plugin package is installed or removed.
``LIFT_MEMORY_HELP_CACHE=0`` turns the cache off. Only the exact invocations
``lift-memory --help`` / ``-h`` use it; any other argument runs the app as usual.
"""

from __future__ import annotations

import os
import sys

HELP_ARGUMENTS = (["--help"], ["-h"])
# The modules whose text is the top-level help (commands, their summaries, the global options).
_HELP_SOURCES = ("app.py", "options.py", "lazy_commands.py")


def main() -> None:
    """Console-script entry point (`lift-memory`)."""
    if sys.argv[1:] in HELP_ARGUMENTS and os.environ.get("LIFT_MEMORY_HELP_CACHE", "1") != "0":
        path = help_cache_path()
        try:
            with open(path, encoding="utf-8") as cached:
                text = cached.read()
        except OSError:  # not cached yet (or unreadable): render it once and keep it
            text = render_help()
            _write_quietly(path, text)
        # written outside the try: a closed pipe (`--help | head -1`) must not re-render
        sys.stdout.write(text)
        return
    from lift_memory_cli.app import app

    app(prog_name="lift-memory")


def render_help() -> str:
    """The top-level help exactly as `lift-memory --help` prints it (click's plain formatter)."""
    import typer.main

    from lift_memory_cli.app import app

    group = typer.main.get_command(app)
    # resilient parsing: build the context the way `--help` sees it, without the no-args check
    ctx = group.make_context("lift-memory", [], resilient_parsing=True)
    return ctx.get_help() + "\n"


def help_cache_path() -> str:
    """The cache file for this terminal width, these sources and this set of installed packages."""
    import shutil
    import zlib

    width = min(shutil.get_terminal_size().columns, 80)
    here = os.path.dirname(os.path.abspath(__file__))
    stamps = [str(width), sys.version]
    for name in _HELP_SOURCES:
        stamps.append(_stamp(os.path.join(here, name)))
    for entry in sys.path:
        stamps.append(_stamp(entry or "."))
    key = zlib.crc32("\0".join(stamps).encode())
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "lift-memory", f"help-{width}-{key:08x}.txt")


def _stamp(path: str) -> str:
    try:
        status = os.stat(path)
    except OSError:
        return f"{path}:-"
    return f"{path}:{status.st_mtime_ns}:{status.st_size}"


def _write_quietly(path: str, text: str) -> None:
    """Write the cache atomically; an unwritable cache only costs the next run its speed."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}.tmp"
        with open(partial, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, path)
    except OSError:
        pass
