"""Bad input through the CLI: one-line error, non-zero exit, and every other memory intact.

Complements tests/test_cli_inputs.py (the readers), tests/test_store*.py (the store's own checks)
and tests/test_cli_entrypoint.py (a few cases through the console script): here each case runs
the whole command (Typer's CliRunner, in-process and quick) in a store that already holds two
complete memories, and checks afterwards that their files are byte-for-byte unchanged and that
'keep' still loads and answers as before. Input size limits are measured in a subprocess: a
2 GB input is refused before it is read, with the peak memory of a bare CLI process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lift_memory_cli.app import app

# the same console script, tiny ingest config and text as the entry-point tests
from test_cli_entrypoint import SCRIPT, TEXT, TINY_CONFIG  # noqa: E402
from typer.testing import CliRunner

from lift_memory.manifest import Manifest
from lift_memory.memory import LiftMemory
from lift_memory.store import MemoryStore
from lift_memory.tiny import tiny_model

QUESTION = "Who keeps the lighthouse?"
GB = 1 << 30


def cli(home: Path, *args: str, input: bytes | str | None = None):
    result = CliRunner().invoke(app, ["--home", str(home), *args], input=input)
    assert "Traceback" not in result.output
    return result


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code not in (0, None), result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def digests(home: Path, names: tuple[str, ...] = ("keep", "qwen")) -> dict[str, str]:
    found = {}
    for name in names:
        for path in sorted((home / "memories" / name).rglob("*")):
            if path.is_file():
                found[str(path.relative_to(home))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


class Store:
    """A home with complete memories 'keep' (tiny-llama) and 'qwen' (tiny-qwen2)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.notes = root / "notes.txt"
        self.notes.write_text(TEXT)
        self.config = root / "tiny.json"
        self.config.write_text(json.dumps(TINY_CONFIG))
        for name, model in (("keep", "tiny-llama"), ("qwen", "tiny-qwen2")):
            made = cli(self.home, *self.ingest_args(name, "--model", model))
            assert made.exit_code == 0, made.output
        self.store = MemoryStore(self.home)
        self.model = tiny_model("llama")
        self.answer = self.ask_keep()
        self.before = digests(self.home)

    def ingest_args(self, name: str, *extra: str) -> list[str]:
        config = ["--config", str(self.config), "--no-rag"]
        return ["ingest", str(self.notes), "--name", name, *config, *extra]

    def ask_keep(self) -> str:
        memory = LiftMemory.load("keep", store=self.store, model=self.model)
        try:
            return memory.ask(QUESTION, max_new_tokens=8).text
        finally:
            memory.detach()

    def victim(self, name: str = "victim") -> Path:
        """A fresh copy of 'keep' under another name, to damage."""
        target = self.home / "memories" / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.home / "memories" / "keep", target)
        manifest = json.loads((target / "manifest.json").read_text())
        manifest["name"] = name
        (target / "manifest.json").write_text(json.dumps(manifest))
        return target

    def assert_intact(self) -> None:
        assert digests(self.home) == self.before
        assert self.ask_keep() == self.answer


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    return Store(tmp_path_factory.mktemp("bad-inputs"))


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    ("content", "extra", "fragments"),
    [
        (None, (), ("no such file or folder", "input.txt")),
        (b"", (), ("input.txt is empty",)),
        (b" \n\t\n", (), ("input.txt is empty",)),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50, (), ("input.txt is a binary file",)),
        (b"caf\xe9 \xff\xfe ol\xe9", (), ("input.txt is not valid UTF-8", "offset 3")),
        (b"x" * 1_500_000, ("--max-input-mb", "1"), ("input.txt is 1.5 MB", "1 MB input limit")),
    ],
    ids=["missing", "empty", "blank", "binary", "invalid-utf8", "over-the-limit"],
)
def test_unusable_input_files(store: Store, content, extra, fragments) -> None:
    path = store.root / "input.txt"
    path.unlink(missing_ok=True)
    if content is not None:
        path.write_bytes(content)
    result = cli(store.home, "ingest", str(path), "--name", "new", "--no-rag", *extra)
    error = assert_one_line_error(result, *fragments)
    if "limit" in error:
        assert "--max-input-mb" in error
    assert not store.store.exists("new")
    store.assert_intact()


def test_the_size_limit_counts_every_input_and_stdin(store: Store) -> None:
    parts = store.root / "parts"
    parts.mkdir(exist_ok=True)
    for index in range(3):
        (parts / f"part{index}.txt").write_text("lighthouse keeper " * 25_000)  # 450 kB each
    folder = cli(store.home, "ingest", str(parts), "--name", "new", "--max-input-mb", "1")
    assert_one_line_error(folder, "the 3 inputs total 1.4 MB", "1 MB input limit")
    big = b"a" * 2_500_000
    stdin = cli(store.home, "ingest", "-", "--name", "new", "--max-input-mb", "1", input=big)
    assert_one_line_error(stdin, "stdin is too big", "1 MB input limit")
    assert not store.store.exists("new")
    store.assert_intact()


def _peak_rss_mb(args: list[str], stdin: Path | None = None) -> tuple[float, str]:
    """Run the console script; returns its peak RSS (MB) and stderr."""
    probe = textwrap.dedent(
        """
        import resource, subprocess, sys
        stdin = open(sys.argv[1], "rb") if sys.argv[1] else None
        done = subprocess.run(sys.argv[2:], stdin=stdin, capture_output=True)
        sys.stderr.write(done.stderr.decode("utf-8", "replace"))
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        """
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    env.pop("LIFT_MEMORY_HOME", None)
    done = subprocess.run(
        [sys.executable, "-c", probe, str(stdin or ""), str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return float(done.stdout.strip()), done.stderr


def test_huge_inputs_are_refused_before_they_are_read(store: Store) -> None:
    huge = store.root / "huge.txt"
    with open(huge, "wb") as handle:  # sparse: 2 GB that take no disk space
        handle.truncate(2 * GB)
    home = ["--home", str(store.home)]
    rss, stderr = _peak_rss_mb([*home, "ingest", str(huge), "--name", "new", "--no-rag"])
    assert "huge.txt is 2,147.5 MB, over the 20 MB input limit" in stderr, stderr
    assert rss < 250, f"peak RSS {rss:.0f} MB for a 2 GB input"  # the file was never read
    rss, stderr = _peak_rss_mb([*home, "ingest", "-", "--name", "new", "--no-rag"], stdin=huge)
    assert "stdin is too big, over the 20 MB input limit" in stderr, stderr
    assert rss < 250, f"peak RSS {rss:.0f} MB for a 2 GB stdin"  # read 1 MB at a time, stopped
    huge.unlink()
    store.assert_intact()


def test_symlinks_out_of_an_ingested_folder_are_skipped(store: Store) -> None:
    outside = store.root / "outside"
    (outside / "dir").mkdir(parents=True, exist_ok=True)
    (outside / "secret.txt").write_text("The vault code is 8841.")
    (outside / "dir" / "more.txt").write_text("The second vault code is 1221.")
    folder = store.root / "folder"
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_text(TEXT)
    for link, target in (("secret.txt", outside / "secret.txt"), ("dir", outside / "dir")):
        if not (folder / link).is_symlink():
            (folder / link).symlink_to(target)
    if not (folder / "same.txt").is_symlink():
        (folder / "same.txt").symlink_to("notes.txt")  # inside the folder: fine
    result = cli(
        store.home,
        "ingest",
        str(folder),
        "--name",
        "linked",
        "--model",
        "tiny-llama",
        "--config",
        str(store.config),
        "--no-rag",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert f"warning: skipped {folder / 'secret.txt'}: a symlink to" in result.stderr
    assert "outside the folder" in result.stderr
    sources = [d["source"] for d in json.loads(result.stdout)["documents"]]
    assert sources == [str(folder / "notes.txt"), str(folder / "same.txt")]
    corpus = (store.home / "memories" / "linked" / "corpus.jsonl").read_text()
    assert "vault code" not in corpus

    (folder / "notes.txt").unlink()
    (folder / "same.txt").unlink()
    only_outside = cli(store.home, "ingest", str(folder), "--name", "none", "--no-rag")
    assert_one_line_error(only_outside, f"folder {folder} has no", "files inside it")
    assert "warning: skipped" in only_outside.stderr
    cli(store.home, "rm", "linked", "--yes")
    store.assert_intact()


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    ["../x", "../../etc/passwd", "/tmp/abs", "a\x00b", "a" * 300, "..", ".hidden", "a/b", ""],
    ids=["dotdot", "escape", "absolute", "nul", "long", "dots", "hidden", "slash", "empty"],
)
@pytest.mark.parametrize("command", ["ingest", "ask", "info", "rm"])
def test_malicious_memory_names(store: Store, command: str, name: str) -> None:
    args = {
        "ingest": ["ingest", str(store.notes), "--name", name, "--no-rag"],
        "ask": ["ask", name, QUESTION],
        "info": ["info", name],
        "rm": ["rm", name, "--yes"],
    }[command]
    result = cli(store.home, *args)
    error = assert_one_line_error(result, "memory name")
    assert len(error) < 300
    assert sorted(p.name for p in (store.home / "memories").iterdir()) == ["keep", "qwen"]
    assert digests(store.home) == store.before


@pytest.mark.parametrize("command", ["ask", "info", "rm"])
def test_unknown_memory_names(store: Store, command: str) -> None:
    args = {
        "ask": ["ask", "nobody", QUESTION],
        "info": ["info", "nobody"],
        "rm": ["rm", "nobody", "--yes"],
    }
    result = cli(store.home, *args[command])
    assert_one_line_error(result, "no memory named 'nobody'", "lift-memory ls")
    store.assert_intact()


# --------------------------------------------------------------------------- damaged memories


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x40
    path.write_bytes(bytes(data))


def _pickle_bomb(path: Path) -> None:
    """A pickle that would create a file when unpickled (torch.load without weights_only)."""
    import torch

    class Bomb:
        def __reduce__(self):
            return (os.system, (f"touch {path.parent / 'PWNED'}",))

    torch.save({"weights": Bomb()}, path)


def _edit_manifest(**changes):
    def edit(path: Path) -> None:
        manifest = json.loads((path.parent / "manifest.json").read_text())
        manifest.update(changes)
        (path.parent / "manifest.json").write_text(json.dumps(manifest))

    return edit


DAMAGE = {
    "truncated-adapter": (
        lambda p: p.write_bytes(p.read_bytes()[:-100]),
        "damaged adapter.safetensors",
    ),
    "empty-adapter": (lambda p: p.write_bytes(b""), "damaged adapter.safetensors"),
    "flipped-weight": (_flip_last_byte, "checksum mismatch"),
    "pickle-adapter": (_pickle_bomb, "adapter.safetensors"),
    "missing-adapter": (lambda p: p.unlink(), "has no adapter.safetensors"),
    "manifest-wrong-type": (_edit_manifest(qa_count="3"), "invalid manifest.json (qa_count"),
    "manifest-missing-field": (
        lambda p: (p.parent / "manifest.json").write_text('{"name": "victim"}'),
        "invalid manifest.json",
    ),
    "manifest-not-json": (
        lambda p: (p.parent / "manifest.json").write_bytes(b'{"name": "vic'),
        "not valid JSON",
    ),
    "manifest-newer-format": (_edit_manifest(format_version=99), "upgrade lift-memory"),
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damaged_memories_are_refused(store: Store, damage: str) -> None:
    edit, fragment = DAMAGE[damage]
    directory = store.victim()
    edit(directory / "adapter.safetensors")
    result = cli(store.home, "ask", "victim", QUESTION, "--mode", "memory")
    assert_one_line_error(result, "memory 'victim'", fragment)
    assert not (directory / "PWNED").exists()  # nothing was unpickled
    listing = cli(store.home, "ls", "--json")  # ls never fails on a bad memory
    assert listing.exit_code == 0
    shown = json.loads(listing.stdout)
    if damage.startswith("manifest"):  # reported as a problem, next to the good memories
        assert [m["name"] for m in shown["memories"]] == ["keep", "qwen"]
        assert [p["name"] for p in shown["problems"]] == ["victim"]
    else:  # the manifest is fine: listed; the adapter is checked when it is loaded
        assert [m["name"] for m in shown["memories"]] == ["keep", "qwen", "victim"]
    assert cli(store.home, "rm", "victim", "--yes").exit_code == 0  # and it can be deleted
    store.assert_intact()


def test_an_adapter_from_another_base_model_is_refused(store: Store) -> None:
    directory = store.victim()
    shutil.copy(store.home / "memories" / "qwen" / "adapter.safetensors", directory)
    result = cli(store.home, "ask", "victim", QUESTION, "--mode", "memory")
    assert_one_line_error(result, "memory 'victim'", "name different base models")
    cli(store.home, "rm", "victim", "--yes")
    store.assert_intact()


def test_a_memory_for_other_base_weights_is_refused(store: Store) -> None:
    """Manifest and adapter agree, but the loaded model's weights are not those they name."""
    directory = store.victim()
    victim = MemoryStore(store.home)
    manifest = victim.read_manifest("victim")
    tensors, _ = victim.load_adapter("victim")
    other = Manifest.model_validate({**manifest.model_dump(), "base_fingerprint": "0" * 16})
    victim.write_manifest(other)
    victim.save_adapter("victim", tensors)
    result = cli(store.home, "ask", "victim", QUESTION, "--mode", "memory")
    assert_one_line_error(
        result, "memory 'victim' was trained on base model 'tiny-llama' (fingerprint 000000000000)"
    )
    assert directory.exists()
    cli(store.home, "rm", "victim", "--yes")
    store.assert_intact()
