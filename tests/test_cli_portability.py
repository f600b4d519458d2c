"""Portable memories: `export` → `rm` → `import` gives back the memory byte for byte and it
answers the same; crafted archives (``../`` paths, absolute paths, links, unlisted or damaged
files) are refused with one line and nothing written; `info --qa` and integer counts."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from lift_memory_cli.app import app
from typer.testing import CliRunner

from lift_memory.store import MemoryStore

CONFIG = {
    "segment_length": 64,
    "segment_stride": 32,
    "context_window": 48,
    "stage1_epochs": 1,
    "stage2_epochs": 1,
    "qa_count": 4,
    "qa_generator": "cloze",
    "retention_samples": 2,
    "max_batch_tokens": 512,
    "warmup_steps": 1,
}
TEXT = (
    "The lighthouse on Varrow Point is kept by Ilse Marrick, who lights the lamp at dusk. "
    "In 1887 a storm broke the great lens, and a new one came from Glasgow in 1889."
)
QUESTION = "Who keeps the lighthouse?"


def run(home: Path, *args: str):
    result = CliRunner().invoke(app, ["--home", str(home), *args])
    assert "Traceback" not in result.output
    return result


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def answers(home: Path) -> dict[str, str]:
    found = {}
    for mode in ("memory", "rag"):
        result = run(home, "ask", "notes", QUESTION, "--mode", mode, "--json")
        assert result.exit_code == 0, result.output
        found[mode] = json.loads(result.stdout)["answer"]
    return found


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("portable")
    (root / "notes.txt").write_text(TEXT)
    home = root / "home"
    result = run(
        home,
        "ingest",
        str(root / "notes.txt"),
        "--name",
        "notes",
        "--model",
        "tiny-llama",
        "--config",
        json.dumps(CONFIG),  # an inline JSON object works like a file
        "--json",
    )
    assert result.exit_code == 0, result.output
    return home


def test_export_rm_import_round_trips_byte_for_byte_and_answers_the_same(home, tmp_path) -> None:
    folder = MemoryStore(home).path("notes")
    before, asked = digests(folder), answers(home)
    assert "adapter.safetensors" in before and any(k.startswith("chroma/") for k in before)
    archive = tmp_path / "notes.tar.gz"
    exported = run(home, "export", "notes", str(archive), "--json")
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["files"] == len(before)
    again = run(home, "export", "notes", str(archive))
    assert again.exit_code == 1 and "--force" in again.stderr
    assert run(home, "rm", "notes", "--yes").exit_code == 0
    imported = run(home, "import", str(archive))
    assert imported.exit_code == 0, imported.output
    assert "imported memory 'notes'" in imported.stderr
    assert digests(folder) == before
    assert answers(home) == asked
    taken = run(home, "import", str(archive))
    assert taken.exit_code == 1 and "already exists" in taken.stderr
    # into another store: the same memory, answering the same
    other = tmp_path / "other-home"
    assert run(other, "import", str(archive)).exit_code == 0
    assert digests(MemoryStore(other).path("notes")) == before
    assert answers(other) == asked


def _archive(path: Path, members: list[tuple[str, bytes | None, bytes]], listed: list[str]) -> Path:
    """A hand-made archive: (name, link target or None, data) members and the listed files."""
    index = {
        "format": 1,
        "memory": "notes",
        "files": [
            {"path": p, "bytes": 1, "sha256": hashlib.sha256(b"x").hexdigest()} for p in listed
        ],
    }
    with tarfile.open(path, "w:gz") as tar:
        data = json.dumps(index).encode()
        info = tarfile.TarInfo("lift-memory-archive.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        for name, link, content in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link.decode()
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return path


@pytest.mark.parametrize(
    ("members", "listed", "message"),
    [
        ([("../evil.txt", None, b"x")], [], "member '../evil.txt' climbs out of its folder"),
        ([("notes/../../evil.txt", None, b"x")], [], "climbs out of its folder"),
        ([("/tmp/evil.txt", None, b"x")], [], "member '/tmp/evil.txt' has an absolute path"),
        ([("notes/link", b"/etc/passwd", b"")], [], "member 'notes/link' is a link"),
        ([("other/manifest.json", None, b"x")], [], "is outside the memory's folder 'notes/'"),
        ([("notes/extra.txt", None, b"x")], [], "'extra.txt' is not listed"),
        ([], ["manifest.json"], "'manifest.json' is missing from"),
        ([("notes/manifest.json", None, b"y")], ["manifest.json"], "does not match its checksum"),
    ],
    ids=[
        "dotdot",
        "nested-dotdot",
        "absolute",
        "link",
        "other-folder",
        "unlisted",
        "missing",
        "damaged",
    ],
)
def test_crafted_archives_are_refused_with_one_line_and_nothing_written(
    tmp_path, members, listed, message
) -> None:
    home = tmp_path / "home"
    archive = _archive(tmp_path / "crafted.tar.gz", members, listed)
    result = run(home, "import", str(archive))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert result.stderr.startswith("error: ")
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    written = sorted(p.relative_to(home) for p in home.rglob("*")) if home.exists() else []
    assert all(p.parts[0] in ("memories", "locks") and len(p.parts) <= 2 for p in written), written
    assert not MemoryStore(home).exists("notes")
    # a damaged file is found after extraction: its hidden folder is gone with it
    assert not [p for p in written if p.parts[0] == "memories" and len(p.parts) > 1]


def test_import_refuses_what_is_not_an_archive(tmp_path) -> None:
    (tmp_path / "plain.txt").write_text("hello")
    result = run(tmp_path / "home", "import", str(tmp_path / "plain.txt"))
    assert result.exit_code == 1 and "is not a tar archive" in result.stderr
    missing = run(tmp_path / "home", "import", str(tmp_path / "nope.tar.gz"))
    assert missing.exit_code == 1 and "no such archive" in missing.stderr


def test_info_shows_the_qa_pairs_and_integer_counts(home) -> None:
    text = run(home, "info", "notes", "--qa")
    assert text.exit_code == 0, text.output
    pairs = [json.loads(line) for line in (MemoryStore(home).qa_path("notes")).open()]
    assert pairs and f"QA pairs ({len(pairs)})" in text.stdout
    assert pairs[0]["answer"] in text.stdout
    corpus_line = next(line for line in text.stdout.splitlines() if "corpus_tokens" in line)
    assert corpus_line.split()[-2].replace(",", "").isdigit(), corpus_line  # 367, not 367.0000
    data = json.loads(run(home, "info", "notes", "--qa", "--json").stdout)
    assert [p["question"] for p in data["qa"]] == [p["question"] for p in pairs]
    assert isinstance(data["metrics"]["corpus_tokens"], int)
    assert isinstance(data["metrics"]["train_tokens"], int)
    assert isinstance(data["metrics"]["final_loss"], float)
    assert "qa" not in json.loads(run(home, "info", "notes", "--json").stdout)
