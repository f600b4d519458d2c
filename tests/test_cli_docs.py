"""docs/cli.md is generated from --help (and up to date); every `lift-memory` command line in the
README and docs uses commands and options that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from lift_memory_cli import reference

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", ROOT / "docs" / "cli.md", ROOT / "docs" / "quickstart.md"]


def test_cli_reference_is_generated_from_help_and_up_to_date() -> None:
    text = reference.DOC.read_text(encoding="utf-8")
    assert sorted(reference.blocks(text)) == sorted(reference.COMMANDS)
    assert reference.render(text) == text, "run: python -m lift_memory_cli.reference"
    for command in ("ingest", "ask", "compare", "ls", "info", "rm"):
        assert f"```text\n{reference.help_text(command)}```" in text


def command_lines() -> list[tuple[str, str]]:
    lines = []
    for path in DOC_FILES:
        for block in re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                for part in line.split("|"):
                    part = part.split(" # ")[0].strip()
                    if part.startswith("lift-memory "):
                        lines.append((path.name, part))
    return lines


@pytest.mark.parametrize(("source", "line"), command_lines())
def test_documented_command_lines_use_real_options(source: str, line: str) -> None:
    # README lines may chain several commands separated by wide spaces
    for chunk in re.split(r"\s{3,}", line):
        words = shlex.split(chunk)
        assert words[0] == "lift-memory", (source, chunk)
        rest = words[1:]
        while rest and rest[0].startswith("--"):  # global options
            assert rest[0] in reference.help_text(""), (source, chunk)
            rest = rest[2:] if rest[0] == "--home" else rest[1:]
        command = rest[0]
        assert command in reference.COMMANDS, (source, chunk)
        help_text = reference.help_text(command)
        for word in rest[1:]:
            if word.startswith("--"):
                assert re.search(rf"(^|[\s,/]){re.escape(word.split('=')[0])}\b", help_text), (
                    source,
                    chunk,
                    word,
                )
