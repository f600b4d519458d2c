"""docs/cli.md's `--help` blocks, generated from the app itself.

``python -m lift_memory_cli.reference`` rewrites every block between
``<!-- BEGIN HELP: <command> -->`` and ``<!-- END HELP -->`` in docs/cli.md with the current
``lift-memory <command> --help``; ``--check`` exits 1 if the file is out of date (a test does the
same). The prose around the blocks is written by hand.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

COMMANDS = (
    "",
    "ingest",
    "ask",
    "compare",
    "ls",
    "info",
    "rm",
    "export",
    "import",
    "bench",
    "serve",
)
WIDTH = 100
_BLOCK = re.compile(
    r"(<!-- BEGIN HELP: (?P<name>[a-z]*) -->\n)(?P<body>.*?)(<!-- END HELP -->)", re.DOTALL
)
DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def help_text(command: str) -> str:
    """``lift-memory [command] --help`` as a user sees it in a 100-column terminal."""
    from typer.testing import CliRunner

    from lift_memory_cli.app import app

    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(app, args, prog_name="lift-memory", terminal_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"lift-memory {' '.join(args)} failed: {result.output}")
    return result.stdout.rstrip() + "\n"


def render(text: str) -> str:
    """``text`` with every help block regenerated."""

    def block(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in COMMANDS:
            raise ValueError(f"docs/cli.md has a help block for unknown command '{name}'")
        return f"{match.group(1)}```text\n{help_text(name)}```\n{match.group(4)}"

    return _BLOCK.sub(block, text)


def blocks(text: str) -> list[str]:
    return [match.group("name") for match in _BLOCK.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[argv.index("--file") + 1]) if "--file" in argv else DOC
    current = path.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print(f"{path} is out of date: run python -m lift_memory_cli.reference")
            return 1
        return 0
    path.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
