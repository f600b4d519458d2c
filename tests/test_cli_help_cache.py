"""`lift-memory --help` from the help cache (lift_memory_cli.entry): the same text as Typer's,
printed without importing Typer, and rebuilt whenever what it depends on changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lift_memory_cli import entry


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("LIFT_MEMORY_HELP_CACHE", raising=False)
    return tmp_path / "cache" / "lift-memory"


def run_entry(monkeypatch, capsys, *args: str) -> str:
    monkeypatch.setattr(sys, "argv", ["lift-memory", *args])
    entry.main()
    return capsys.readouterr().out


def typers_help() -> str:
    """What Typer itself prints for `lift-memory --help` at 80 columns (the cache turned off)."""
    environment = {**os.environ, "LIFT_MEMORY_HELP_CACHE": "0", "COLUMNS": "80"}
    command = [sys.executable, "-m", "lift_memory_cli", "--help"]
    return subprocess.run(command, capture_output=True, text=True, env=environment).stdout


def test_cached_help_is_typers_help(cache_home, monkeypatch, capsys) -> None:
    typer_help = typers_help()
    assert typer_help.startswith("Usage: lift-memory")
    first = run_entry(monkeypatch, capsys, "--help")
    assert first == typer_help
    assert [p.name for p in cache_home.iterdir()] == [Path(entry.help_cache_path()).name]

    def no_rendering() -> str:
        raise AssertionError("a cached help must not be rendered again")

    monkeypatch.setattr(entry, "render_help", no_rendering)
    assert run_entry(monkeypatch, capsys, "-h") == typer_help


def test_the_key_follows_width_and_installed_packages(cache_home, tmp_path, monkeypatch) -> None:
    plugins = tmp_path / "site-packages"
    plugins.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(plugins)])
    before = entry.help_cache_path()
    stamp = os.stat(plugins).st_mtime_ns + 1_000_000_000
    (plugins / "new_plugin-1.0.dist-info").mkdir()  # installing a package changes the folder
    os.utime(plugins, ns=(stamp, stamp))
    after = entry.help_cache_path()
    assert after != before
    monkeypatch.setenv("COLUMNS", "60")
    assert entry.help_cache_path() not in (before, after)
    assert Path(entry.help_cache_path()).name.startswith("help-60-")


def test_the_cache_can_be_turned_off(cache_home, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LIFT_MEMORY_HELP_CACHE", "0")
    with pytest.raises(SystemExit) as exited:
        run_entry(monkeypatch, capsys, "--help")
    assert exited.value.code in (0, None)
    assert "Usage: lift-memory" in capsys.readouterr().out
    assert not cache_home.exists()


def test_other_arguments_run_the_app(cache_home, monkeypatch, capsys) -> None:
    with pytest.raises(SystemExit):
        run_entry(monkeypatch, capsys, "--version")
    assert capsys.readouterr().out.startswith("lift-memory ")
    assert not cache_home.exists()


def test_a_cached_help_imports_no_typer(tmp_path) -> None:
    program = (
        "import sys; sys.argv = ['lift-memory', '--help']\n"
        "from lift_memory_cli.entry import main; main()\n"
        "print('typer' in sys.modules, file=sys.stderr)\n"
    )
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "COLUMNS": "80"}
    environment.pop("LIFT_MEMORY_HELP_CACHE", None)
    runs = [
        subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, env=environment
        )
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and "Usage: lift-memory" in runs[0].stdout
    assert runs[0].stderr.split() == ["True"]  # the first run renders with Typer
    assert runs[1].stderr.split() == ["False"]  # the second reads the cache
